import type { Counters } from './counters.js';
import type { WorktreeRecord } from './worktree-record.js';

/** What `hoard stats` shows and `hoard stats --json` prints. */
export interface StatsSnapshot {
  counters: Counters;
  /** By worktree id. */
  worktrees: Record<string, WorktreeRecord>;
  since: string;
  /** Every worktree seen, by id, including those whose statistics were zeroed: names the producers of hits. */
  knownWorktrees?: Record<string, { name: string; root: string }>;
  cache: { dir: string; sizeBytes: number; limitBytes: number; entries: number };
  server: { running: boolean; pid?: number; version?: string; uptimeMs?: number };
}
