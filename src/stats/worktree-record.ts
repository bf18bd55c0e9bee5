import { countersFrom, type Counters } from './counters.js';

/** Statistics of one git worktree (or of compiles outside any repository). */
export interface WorktreeRecord {
  worktree: { repository: string; name: string; root: string; branch: string };
  counters: Counters;
  /** Hits in this worktree, by the id of the worktree whose compile made the entry. */
  servedBy: Record<string, number>;
  lastActivity: string;
}

export function worktreeRecordsFrom(value: unknown): Record<string, WorktreeRecord> {
  const records: Record<string, WorktreeRecord> = {};
  if (typeof value !== 'object' || value === null) return records;
  for (const [id, raw] of Object.entries(value as Record<string, unknown>)) {
    if (typeof raw !== 'object' || raw === null) continue;
    const record = raw as Partial<WorktreeRecord>;
    const label = record.worktree ?? { repository: '', name: id, root: '', branch: '' };
    records[id] = {
      worktree: {
        repository: String(label.repository ?? ''),
        name: String(label.name ?? id),
        root: String(label.root ?? ''),
        branch: String(label.branch ?? ''),
      },
      counters: countersFrom(record.counters),
      servedBy: Object.fromEntries(
        Object.entries(record.servedBy ?? {}).filter(([, count]) => typeof count === 'number'),
      ),
      lastActivity: typeof record.lastActivity === 'string' ? record.lastActivity : '',
    };
  }
  return records;
}
