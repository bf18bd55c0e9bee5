import { Box, Text } from 'ink';
import { formatDuration } from '../stats/format-units.js';
import type { CompileEvent } from '../protocol/messages.js';
import { fitColumns, renderLine, type Column } from './columns.js';
import { truncateStart } from './glyphs.js';
import { worktreeLabel } from './worktree-table.js';
import { REASON_HINTS } from '../stats/format.js';

const OUTCOME_LABEL: Record<CompileEvent['outcome'], string> = {
  hit: 'hit',
  miss: 'miss',
  failed: 'failed',
  'not-cacheable': 'not cached',
};
const OUTCOME_COLOR: Record<CompileEvent['outcome'], string> = {
  hit: 'green',
  miss: 'yellow',
  failed: 'red',
  'not-cacheable': 'gray',
};

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
    {
      title: 'WORKTREE',
      width: 18,
      align: 'left',
      priority: 3,
      cell: (event, width) => truncateStart(worktreeLabel(event.worktree, home), width),
    },
    { title: 'TOOK', width: 12, align: 'left', priority: 2, cell: (event) => took(event) },
    // A hit: the compile time it spared; a miss: its cause in a word or two (`w` shows all of it).
    {
      title: 'SPARED/WHY',
      width: 14,
      align: 'left',
      priority: 6,
      cell: (event) =>
        event.outcome === 'hit' && event.savedMs !== undefined
          ? `compile ${formatDuration(event.savedMs)}`
          : (event.why?.short ?? ''),
    },
  ];
}

/** Names a compile of the stream for the selection (`w`): its time and crate. */
export function compileId(event: CompileEvent): string {
  return `${event.at}\0${event.crate}\0${event.worktree.id}`;
}

/** The lines that explain one compile: a miss's differences, or what the outcome means. */
export function explanationLines(event: CompileEvent): string[] {
  switch (event.outcome) {
    case 'hit':
      return ['a hit: restored from the cache'];
    case 'not-cacheable':
      return [
        `not cached (${event.reason ?? 'unknown reason'}): ${event.reason && REASON_HINTS[event.reason] ? REASON_HINTS[event.reason] : 'see hoard stats'}`,
      ];
    default:
      return event.why ? event.why.lines : ['not explained: the server kept no earlier compile of it'];
  }
}

/** The explanation of the selected compile (`w`), as `hoard why CRATE` prints it. */
export function CompileExplanation({
  event,
  width,
  maxLines,
  home,
}: {
  event: CompileEvent | undefined;
  width: number;
  maxLines: number;
  home?: string | undefined;
}) {
  if (maxLines <= 1) return null;
  if (!event) return <Text dimColor>no compile to explain yet</Text>;
  const title = `why ${event.crate} (${OUTCOME_LABEL[event.outcome]}, ${worktreeLabel(event.worktree, home)}, ${clock(event.at)})`;
  const lines = explanationLines(event);
  const shown =
    lines.length > maxLines - 1
      ? [...lines.slice(0, maxLines - 2), `… ${lines.length - maxLines + 2} more: hoard why ${event.crate}`]
      : lines;
  return (
    <Box flexDirection="column" width={width}>
      <Text bold wrap="truncate-end">
        {title}
      </Text>
      {shown.map((line, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: lines of text, whose place is all that tells them apart
        <Text key={index} wrap="truncate-end">
          {`  ${line}`}
        </Text>
      ))}
    </Box>
  );
}

/** The latest compiles, newest first. */
export function RecentCompiles({
  events,
  width,
  maxRows,
  color,
  home,
  selected,
}: {
  events: CompileEvent[];
  width: number;
  maxRows: number;
  color: boolean;
  home?: string | undefined;
  /** The compile selected for its explanation (`w`), marked like the selected worktree. */
  selected?: string | undefined;
}) {
  if (maxRows <= 0) return null;
  const marked = selected !== undefined;
  const columns = fitColumns(columnsFor(home), marked ? width - 2 : width);
  const newestFirst = [...events].reverse();
  // The selected compile stays in view: the window starts early enough to hold it.
  const at = marked
    ? Math.max(
        0,
        newestFirst.findIndex((event) => compileId(event) === selected),
      )
    : 0;
  const start = Math.max(0, at - maxRows + 1);
  const shown = newestFirst.slice(start, start + maxRows);
  return (
    <Box flexDirection="column" width={width}>
      <Text bold>latest compiles</Text>
      {shown.length === 0 && <Text dimColor>none yet</Text>}
      {shown.map((event, index) => {
        // Two compiles may share a time: the place tells them apart.
        const key = `${event.at}-${index}`;
        return (
          <Text
            key={key}
            wrap="truncate-end"
            inverse={marked && compileId(event) === selected}
            color={color ? OUTCOME_COLOR[event.outcome] : undefined}
          >
            {marked ? `${compileId(event) === selected ? '›' : ' '} ` : ''}
            {renderLine(columns, event)}
          </Text>
        );
      })}
    </Box>
  );
}
