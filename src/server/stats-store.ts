import { readFileSync } from 'node:fs';
import { writeAtomically } from '../fs/write-atomically.js';
import { countersFrom, emptyCounters, type Counters } from '../stats/counters.js';

const SAVE_DELAY_MS = 500;

/**
 * Statistics that outlive the server: loaded at start, saved shortly after every change and at exit,
 * each save a whole new file renamed into place.
 */
export class StatsStore {
  counters: Counters;
  since: string;
  private timer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();

  constructor(private readonly path: string) {
    const saved = StatsStore.read(path);
    this.counters = saved.counters;
    this.since = saved.since;
  }

  static read(path: string): { counters: Counters; since: string } {
    try {
      const parsed = JSON.parse(readFileSync(path, 'utf8')) as { counters?: unknown; since?: unknown };
      return { counters: countersFrom(parsed.counters), since: typeof parsed.since === 'string' ? parsed.since : new Date().toISOString() };
    } catch {
      return { counters: emptyCounters(), since: new Date().toISOString() };
    }
  }

  /** Applies a change and schedules a save. */
  update(change: (counters: Counters) => void): void {
    change(this.counters);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.save();
    }, SAVE_DELAY_MS);
  }

  zero(): void {
    this.counters = emptyCounters();
    this.since = new Date().toISOString();
    void this.save();
  }

  save(): Promise<void> {
    const content = JSON.stringify({ format: 1, since: this.since, counters: this.counters });
    this.saving = this.saving.then(async () => {
      try {
        await writeAtomically(this.path, content);
      } catch {
        // The next save tries again; the counters in memory are intact.
      }
    });
    return this.saving;
  }

  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    await this.save();
  }
}
