import type { Counters } from './counters.js';
import type { RemoteStatus } from './remote-counters.js';
import type { WorktreeRecord } from './worktree-record.js';

/** What `hoard stats` shows and `hoard stats --json` prints. */
export interface StatsSnapshot {
  counters: Counters;
  /** By worktree id. */
  worktrees: Record<string, WorktreeRecord>;
  since: string;
  /** Every worktree seen, by id, including those whose statistics were zeroed: names the producers of hits. */
  knownWorktrees?: Record<string, { name: string; root: string }>;
  /** uploadQueue: uploads to remotes waiting or under way (a running server's only). */
  cache: { dir: string; sizeBytes: number; limitBytes: number; entries: number; uploadQueue?: number };
  server: { running: boolean; pid?: number; version?: string; uptimeMs?: number };
  /** The remote caches in the order they are asked, with their state (a running server's only). */
  remotes?: RemoteStatus[];
}
