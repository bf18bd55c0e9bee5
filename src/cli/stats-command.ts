import { join } from 'node:path';
import { DiskStore } from '../cache/disk-store.js';
import { loadConfig } from '../config/load.js';
import { DigestMemo } from '../hash/digest-memo.js';
import { formatStatsTable, formatWorktreeTable, worktreeRows } from '../stats/format.js';
import type { StatsSnapshot } from '../stats/snapshot.js';
import { StatsStore } from '../server/stats-store.js';
import { askServerData, CliError } from './client.js';

/** The statistics from the server, or from disk when no server runs (they persist). */
export async function currentStats(): Promise<StatsSnapshot> {
  const live = await askServerData<StatsSnapshot>('stats');
  if (live) return live;
  const { config } = loadConfig(process.env);
  const saved = StatsStore.read(join(config.cache_dir, 'stats.json'));
  const store = new DiskStore(config.cache_dir, new DigestMemo());
  await store.measure();
  return {
    counters: saved.counters,
    worktrees: saved.worktrees,
    since: saved.since,
    cache: { dir: config.cache_dir, sizeBytes: store.sizeBytes, limitBytes: config.cache_size, entries: store.entryCount },
    server: { running: false },
  };
}

export async function statsCommand(args: string[]): Promise<number> {
  const known = new Set(['--json', '--zero', '--no-live', '--by', 'worktree', '--by=worktree']);
  const unknown = args.find((arg) => !known.has(arg));
  if (unknown) throw new CliError(`'hoard stats ${unknown}' is not an option; use --json, --by worktree or --zero.`);
  const byIndex = args.indexOf('--by');
  if (byIndex !== -1 && args[byIndex + 1] !== 'worktree') throw new CliError("'hoard stats --by' takes 'worktree'.");
  const byWorktree = byIndex !== -1 || args.includes('--by=worktree');
  if (args.includes('--zero')) {
    const zeroed = await askServerData<StatsSnapshot>('zero-stats');
    if (!zeroed) {
      const { config } = loadConfig(process.env);
      const stats = new StatsStore(join(config.cache_dir, 'stats.json'));
      stats.zero();
      await stats.flush();
    }
    process.stdout.write('statistics zeroed\n');
    return 0;
  }
  const snapshot = await currentStats();
  if (byWorktree) {
    process.stdout.write(args.includes('--json') ? `${JSON.stringify({ worktrees: worktreeRows(snapshot) }, null, 2)}\n` : formatWorktreeTable(snapshot));
    return 0;
  }
  process.stdout.write(args.includes('--json') ? `${JSON.stringify(snapshot, null, 2)}\n` : formatStatsTable(snapshot));
  return 0;
}
