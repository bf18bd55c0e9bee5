/** Data for the dashboard's component tests: snapshots and views built from a few facts. */
import type { CompileEvent } from '../protocol/messages.js';
import { emptyCounters, type Counters } from '../stats/counters.js';
import type { StatsSnapshot } from '../stats/snapshot.js';
import type { WorktreeRecord } from '../stats/worktree-record.js';
import type { LiveView } from './live-view.js';

export const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);

export function counters(values: Partial<Counters> = {}): Counters {
  return { ...emptyCounters(), ...values };
}

export interface WorktreeFacts {
  id: string;
  root: string;
  name?: string;
  branch?: string;
  hits?: number;
  misses?: number;
  notCacheable?: Record<string, number>;
  servedBy?: Record<string, number>;
  /** Minutes before NOW. */
  activeMinutesAgo?: number;
}

export function worktree(facts: WorktreeFacts): [string, WorktreeRecord] {
  const hits = facts.hits ?? 0;
  const misses = facts.misses ?? 0;
  const notCacheable = facts.notCacheable ?? {};
  const requests = hits + misses + Object.values(notCacheable).reduce((sum, count) => sum + count, 0);
  return [
    facts.id,
    {
      worktree: {
        repository: `${facts.root}/.git`,
        name: facts.name ?? 'app',
        root: facts.root,
        branch: facts.branch ?? 'main',
      },
      counters: counters({ requests, hits, misses, notCacheable, timeSavedMs: hits * 1500 }),
      servedBy: facts.servedBy ?? {},
      lastActivity: new Date(NOW - (facts.activeMinutesAgo ?? 0) * 60_000).toISOString(),
    },
  ];
}

export function snapshot(worktrees: WorktreeFacts[] = [], running = true): StatsSnapshot {
  const records = Object.fromEntries(worktrees.map(worktree));
  const total = counters();
  for (const record of Object.values(records)) {
    total.requests += record.counters.requests;
    total.hits += record.counters.hits;
    total.misses += record.counters.misses;
    total.timeSavedMs += record.counters.timeSavedMs;
    for (const [reason, count] of Object.entries(record.counters.notCacheable))
      total.notCacheable[reason] = (total.notCacheable[reason] ?? 0) + count;
  }
  return {
    counters: total,
    worktrees: records,
    since: new Date(NOW - 3_600_000).toISOString(),
    cache: { dir: '/home/dev/.cache/hoard', sizeBytes: 512 * 1024 * 1024, limitBytes: 10 * 1024 ** 3, entries: 321 },
    server: running ? { running: true, pid: 4242, version: '0.1.0', uptimeMs: 125_000 } : { running: false },
  };
}

export function compileEvent(values: Partial<CompileEvent> & Pick<CompileEvent, 'crate' | 'outcome'>): CompileEvent {
  return {
    at: NOW - 1000,
    kind: 'rust library',
    worktree: { id: 'main', name: 'app', root: '/home/dev/src/app' },
    ...values,
  };
}

export function liveView(values: Partial<LiveView> = {}): LiveView {
  return {
    connection: 'live',
    snapshot: snapshot(),
    recent: [],
    history: [],
    config: { file: '/home/dev/.config/hoard/config.toml' },
    receivedAt: NOW,
    ...values,
  };
}
