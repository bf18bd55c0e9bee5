import { Box, Text } from 'ink';
import { formatDuration } from '../stats/format-units.js';
import { sumOf } from '../stats/counters.js';
import { shortPath, type WorktreeRow } from '../stats/format.js';
import { fitColumns, renderHeader, renderLine, type Column } from './columns.js';
import { percent, rateBar, truncateStart } from './glyphs.js';

export interface WorktreeTableProps {
  rows: WorktreeRow[];
  selectedId: string | undefined;
  width: number;
  /** Lines available for worktree rows; the selection stays in view. */
  maxRows: number;
  color: boolean;
  home?: string | undefined;
}

export function worktreeLabel(row: Pick<WorktreeRow, 'root' | 'name'>, home: string | undefined): string {
  return row.root ? shortPath(row.root, home) : row.name;
}

function columnsFor(home: string | undefined, title: string): Array<Column<WorktreeRow>> {
  const count = (value: number): string => String(value);
  return [
    {
      title,
      width: 14,
      align: 'left',
      priority: 1,
      flexible: true,
      cell: (row, width) => truncateStart(worktreeLabel(row, home), width),
    },
    { title: 'REPOSITORY', width: 12, align: 'left', priority: 7, cell: (row) => row.name },
    { title: 'BRANCH', width: 10, align: 'left', priority: 6, cell: (row) => row.branch || '-' },
    { title: 'REQ', width: 5, align: 'right', priority: 5, cell: (row) => count(row.counters.requests) },
    { title: 'HITS', width: 5, align: 'right', priority: 1, cell: (row) => count(row.counters.hits) },
    { title: 'MISS', width: 5, align: 'right', priority: 2, cell: (row) => count(row.counters.misses) },
    { title: 'N/C', width: 4, align: 'right', priority: 3, cell: (row) => count(sumOf(row.counters.notCacheable)) },
    { title: 'HIT RATE', width: 8, align: 'right', priority: 1, cell: (row) => percent(row.hitRate) },
    { title: '', width: 10, align: 'left', priority: 4, cell: (row, width) => rateBar(row.hitRate, width) },
    { title: 'SAVED', width: 9, align: 'right', priority: 4, cell: (row) => formatDuration(row.counters.timeSavedMs) },
  ];
}

/** The first row to show so that the selected one is in view. */
export function scrollOffset(count: number, selectedIndex: number, visible: number): number {
  if (count <= visible || selectedIndex < 0) return 0;
  return Math.min(Math.max(0, selectedIndex - visible + 1), count - visible);
}

/** One line per worktree: the marker shows the selection without needing colour. */
export function WorktreeTable({ rows, selectedId, width, maxRows, color, home }: WorktreeTableProps) {
  if (rows.length === 0) {
    return (
      <Text dimColor wrap="truncate-end">
        No compiles recorded yet: build with RUSTC_WRAPPER=hoard.
      </Text>
    );
  }
  const selectedIndex = rows.findIndex((row) => row.id === selectedId);
  const visible = Math.max(1, Math.min(rows.length, maxRows));
  const first = scrollOffset(rows.length, selectedIndex, visible);
  const shown = rows.slice(first, first + visible);
  const title =
    shown.length < rows.length ? `WORKTREE ${first + 1}-${first + shown.length} of ${rows.length}` : 'WORKTREE';
  const columns = fitColumns(columnsFor(home, title), width - 2);
  return (
    <Box flexDirection="column" width={width}>
      <Text bold wrap="truncate-end">
        {`  ${renderHeader(columns)}`}
      </Text>
      {shown.map((row) => {
        const selected = row.id === selectedId;
        return (
          <Text key={row.id} wrap="truncate-end" inverse={selected} color={color && selected ? 'cyan' : undefined}>
            {`${selected ? '›' : ' '} ${renderLine(columns, row)}`}
          </Text>
        );
      })}
    </Box>
  );
}

/** Where the selected worktree's hits came from: the worktrees whose compiles made the entries. */
export function ServedBy({
  row,
  width,
  home,
}: {
  row: WorktreeRow | undefined;
  width: number;
  home?: string | undefined;
}) {
  if (!row) return null;
  const label = worktreeLabel(row, home);
  const sources = row.servedBy.map(
    (source) =>
      `${source.hits} from ${source.id === row.id ? 'itself' : source.root ? shortPath(source.root, home) : source.name}`,
  );
  const text = sources.length > 0 ? `hits in ${label}: ${sources.join(', ')}` : `no hits in ${label} yet`;
  return (
    <Box width={width}>
      <Text wrap="truncate-end">{text}</Text>
    </Box>
  );
}
