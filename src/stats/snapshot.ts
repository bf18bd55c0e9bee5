import type { Counters } from './counters.js';

/** What `hoard stats` shows and `hoard stats --json` prints. */
export interface StatsSnapshot {
  counters: Counters;
  since: string;
  cache: { dir: string; sizeBytes: number; limitBytes: number; entries: number };
  server: { running: boolean; pid?: number; version?: string; uptimeMs?: number };
}
