import type { WorktreeRow } from '../stats/format.js';

/** The orders the `s` key cycles through; the first is worktreeRows()'s own (most recent activity). */
export const SORT_ORDERS = ['recent', 'hits', 'hit rate', 'requests', 'name'] as const;
export type SortOrder = (typeof SORT_ORDERS)[number];

export function nextSortOrder(order: SortOrder): SortOrder {
  return SORT_ORDERS[(SORT_ORDERS.indexOf(order) + 1) % SORT_ORDERS.length]!;
}

/** Rows in the given order; ties keep the most recently active first. */
export function sortRows(rows: readonly WorktreeRow[], order: SortOrder): WorktreeRow[] {
  const byOrder: Record<SortOrder, (a: WorktreeRow, b: WorktreeRow) => number> = {
    recent: () => 0,
    hits: (a, b) => b.counters.hits - a.counters.hits,
    'hit rate': (a, b) => (b.hitRate ?? -1) - (a.hitRate ?? -1),
    requests: (a, b) => b.counters.requests - a.counters.requests,
    name: (a, b) => a.name.localeCompare(b.name) || a.root.localeCompare(b.root),
  };
  return [...rows].sort(byOrder[order]);
}
