import { Box, Text } from 'ink';
import { formatDuration } from '../stats/format-units.js';
import type { CompileEvent } from '../protocol/messages.js';
import { fitColumns, renderLine, type Column } from './columns.js';
import { truncateStart } from './glyphs.js';
import { worktreeLabel } from './worktree-table.js';

const OUTCOME_LABEL: Record<CompileEvent['outcome'], string> = { hit: 'hit', miss: 'miss', failed: 'failed', 'not-cacheable': 'not cached' };
const OUTCOME_COLOR: Record<CompileEvent['outcome'], string> = { hit: 'green', miss: 'yellow', failed: 'red', 'not-cacheable': 'gray' };

function clock(at: number): string {
  return new Date(at).toTimeString().slice(0, 8);
}

function took(event: CompileEvent): string {
  if (event.outcome === 'not-cacheable') return event.reason ?? '';
  return event.durationMs === undefined ? '' : formatDuration(event.durationMs);
}

function columnsFor(home: string | undefined): Array<Column<CompileEvent>> {
  return [
    { title: 'TIME', width: 8, align: 'left', priority: 5, cell: (event) => clock(event.at) },
    { title: 'OUTCOME', width: 10, align: 'left', priority: 1, cell: (event) => OUTCOME_LABEL[event.outcome] },
    { title: 'CRATE', width: 14, align: 'left', priority: 1, flexible: true, cell: (event) => event.crate },
    { title: 'KIND', width: 17, align: 'left', priority: 4, cell: (event) => event.kind },
    { title: 'WORKTREE', width: 18, align: 'left', priority: 3, cell: (event, width) => truncateStart(worktreeLabel(event.worktree, home), width) },
    { title: 'TOOK', width: 12, align: 'left', priority: 2, cell: (event) => took(event) },
    { title: 'SPARED', width: 14, align: 'left', priority: 6, cell: (event) => (event.outcome === 'hit' && event.savedMs !== undefined ? `compile ${formatDuration(event.savedMs)}` : '') },
  ];
}

/** The latest compiles, newest first. */
export function RecentCompiles({ events, width, maxRows, color, home }: { events: CompileEvent[]; width: number; maxRows: number; color: boolean; home?: string | undefined }) {
  if (maxRows <= 0) return null;
  const columns = fitColumns(columnsFor(home), width);
  const shown = events.slice(-maxRows).reverse();
  return (
    <Box flexDirection="column" width={width}>
      <Text bold>latest compiles</Text>
      {shown.length === 0 && <Text dimColor>none yet</Text>}
      {shown.map((event, index) => (
        <Text key={`${event.at}-${index}`} wrap="truncate-end" color={color ? OUTCOME_COLOR[event.outcome] : undefined}>
          {renderLine(columns, event)}
        </Text>
      ))}
    </Box>
  );
}
