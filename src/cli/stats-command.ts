import { join } from 'node:path';
import { writeAtomically } from '../fs/write-atomically.js';
import { DiskStore } from '../cache/disk-store.js';
import { ConfigError, defaultConfig, loadConfig, type LoadedConfig } from '../config/load.js';
import { DigestMemo } from '../hash/digest-memo.js';
import { formatStatsTable, formatWorktreeTable, worktreeRows } from '../stats/format.js';
import type { StatsSnapshot } from '../stats/snapshot.js';
import { StatsStore } from '../stats/stats-store.js';
import { resolveLocations } from '../protocol/locations.js';
import type { HitRatePoint } from '../protocol/messages.js';
import { HitRateHistory, readSavedHistory } from '../stats/history.js';
import { askServerData, CliError, trustedRendezvous } from './client.js';
import { errorLine } from '../errors/hoard-error.js';

/** The statistics from the server, or from disk when no server runs (they persist). */
export async function currentStats(): Promise<StatsSnapshot> {
  const live = await askServerData('stats');
  if (live) return live;
  const { config } = loadConfig(process.env);
  return savedStatsIn(config.cache_dir, config.cache_size);
}

async function savedStatsIn(cacheDir: string, limitBytes: number): Promise<StatsSnapshot> {
  const saved = StatsStore.read(join(cacheDir, 'stats.json'));
  const store = new DiskStore(cacheDir, new DigestMemo());
  await store.measure();
  return {
    counters: saved.counters,
    worktrees: saved.worktrees,
    knownWorktrees: saved.knownWorktrees,
    since: saved.since,
    cache: { dir: cacheDir, sizeBytes: store.sizeBytes, limitBytes, entries: store.entryCount },
    server: { running: false },
  };
}

async function zeroStats(): Promise<void> {
  const zeroed = await askServerData('zero-stats');
  if (zeroed) return;
  const { config } = loadConfig(process.env);
  const stats = new StatsStore(join(config.cache_dir, 'stats.json'));
  stats.zero();
  await stats.flush();
  // No cache directory yet means no history either.
  await writeAtomically(join(config.cache_dir, 'hit-history.json'), '[]').catch(() => undefined);
}

/** The config the next server would use; a broken file is reported, not thrown, as the server does. */
function configForDashboard(): { loaded: LoadedConfig; problem?: string } {
  try {
    return { loaded: loadConfig(process.env) };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { loaded: defaultConfig(process.env), problem: errorLine(error) };
  }
}

/** What the dashboard shows while no server runs: what the last one saved. */
async function savedState(): Promise<{
  snapshot: StatsSnapshot;
  history: HitRatePoint[];
  config: { file: string; problem?: string };
}> {
  const { loaded, problem } = configForDashboard();
  const snapshot = await savedStatsIn(loaded.config.cache_dir, loaded.config.cache_size);
  const history = new HitRateHistory(readSavedHistory(join(loaded.config.cache_dir, 'hit-history.json'))).recent();
  return { snapshot, history, config: { file: loaded.file, ...(problem ? { problem } : {}) } };
}

/** The live dashboard needs a terminal both ways: it draws on stdout and reads keys from stdin. */
function wantsDashboard(args: string[]): boolean {
  return args.length === 0 && Boolean(process.stdout.isTTY) && Boolean(process.stdin.isTTY);
}

export async function statsCommand(args: string[]): Promise<number> {
  const known = new Set(['--json', '--zero', '--no-live', '--by', 'worktree', '--by=worktree']);
  const unknown = args.find((arg) => !known.has(arg));
  if (unknown)
    throw new CliError(`'hoard stats ${unknown}' is not an option; use --json, --no-live, --by worktree or --zero.`);
  const byIndex = args.indexOf('--by');
  if (byIndex !== -1 && args[byIndex + 1] !== 'worktree') throw new CliError("'hoard stats --by' takes 'worktree'.");
  const byWorktree = byIndex !== -1 || args.includes('--by=worktree');
  if (args.includes('--zero')) {
    await zeroStats();
    process.stdout.write('statistics zeroed\n');
    return 0;
  }
  if (wantsDashboard(args)) {
    // Ink draws only the last frame, at exit, when CI or CONTINUOUS_INTEGRATION is set (it reads them once,
    // as it loads). Both ends are a terminal here, so someone is watching: they asked for the live view.
    delete process.env.CI;
    delete process.env.CONTINUOUS_INTEGRATION;
    // Ink and React load only here: the table, JSON and every other command stay without them.
    const locations = resolveLocations(process.env);
    trustedRendezvous(locations.socketDir);
    const { runDashboard } = await import('../dashboard/run-dashboard.js');
    return runDashboard({ socketPath: locations.socketPath, loadSaved: savedState, zero: zeroStats });
  }
  const snapshot = await currentStats();
  if (byWorktree) {
    process.stdout.write(
      args.includes('--json')
        ? `${JSON.stringify({ worktrees: worktreeRows(snapshot) }, null, 2)}\n`
        : formatWorktreeTable(snapshot),
    );
    return 0;
  }
  process.stdout.write(args.includes('--json') ? `${JSON.stringify(snapshot, null, 2)}\n` : formatStatsTable(snapshot));
  return 0;
}
