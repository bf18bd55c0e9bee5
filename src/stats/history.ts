import { readFileSync } from 'node:fs';

/** Hits and misses in one minute (start in epoch milliseconds). */
export interface HitRatePoint {
  minute: number;
  hits: number;
  misses: number;
}

const MINUTE_MS = 60_000;
/** An hour of minutes: what a sparkline in a side pane can show. */
export const HISTORY_MINUTES = 60;

/** Hits and misses per minute over the last hour, for the dashboard's sparkline. Pure data: no IO. */
export class HitRateHistory {
  private points: HitRatePoint[] = [];

  constructor(
    saved: unknown = [],
    private readonly now: () => number = Date.now,
  ) {
    if (!Array.isArray(saved)) return;
    for (const point of saved as Array<Partial<HitRatePoint>>) {
      if (
        [point?.minute, point?.hits, point?.misses].every(
          (value) => typeof value === 'number' && Number.isFinite(value),
        )
      ) {
        this.points.push({ minute: point.minute!, hits: point.hits!, misses: point.misses! });
      }
    }
    this.points.sort((a, b) => a.minute - b.minute);
  }

  record(outcome: 'hit' | 'miss'): void {
    const minute = Math.floor(this.now() / MINUTE_MS) * MINUTE_MS;
    let last = this.points.at(-1);
    if (last?.minute !== minute) {
      last = { minute, hits: 0, misses: 0 };
      this.points.push(last);
    }
    if (outcome === 'hit') last.hits += 1;
    else last.misses += 1;
    this.forgetOld();
  }

  clear(): void {
    this.points = [];
  }

  /** The minutes of the last hour that had hits or misses, oldest first. */
  recent(): HitRatePoint[] {
    this.forgetOld();
    return this.points.map((point) => ({ ...point }));
  }

  private forgetOld(): void {
    const oldest = Math.floor(this.now() / MINUTE_MS) * MINUTE_MS - (HISTORY_MINUTES - 1) * MINUTE_MS;
    while (this.points.length > 0 && this.points[0]!.minute < oldest) this.points.shift();
  }
}

/**
 * One slot per minute of the last `minutes` ending at `now`: the hit rate of that minute, or undefined
 * when nothing was answered in it.
 */
export function hitRatePerMinute(
  points: readonly HitRatePoint[],
  now: number,
  minutes: number,
): Array<number | undefined> {
  const current = Math.floor(now / MINUTE_MS) * MINUTE_MS;
  const byMinute = new Map(points.map((point) => [point.minute, point]));
  const slots: Array<number | undefined> = [];
  for (let index = minutes - 1; index >= 0; index -= 1) {
    const point = byMinute.get(current - index * MINUTE_MS);
    const answered = point ? point.hits + point.misses : 0;
    slots.push(point && answered > 0 ? point.hits / answered : undefined);
  }
  return slots;
}

/** The history a server saved when it exited (hit-history.json); nothing when there is none. */
export function readSavedHistory(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch {
    return [];
  }
}
