import { Box, Text, useInput } from 'ink';
import { useRef, useState } from 'react';
import { worktreeRows } from '../stats/format.js';
import { Header } from './header.js';
import type { LiveView } from './live-view.js';
import { CompileExplanation, compileId, RecentCompiles } from './recent-compiles.js';
import { applyKey, INITIAL_KEY_STATE } from './keys.js';
import { sortRows } from './sort-orders.js';
import { ByKind, HitRateSparkline, Reasons, Totals } from './summary.js';
import { ServedBy, WorktreeTable } from './worktree-table.js';

export interface DashboardProps {
  view: LiveView;
  now: number;
  width: number;
  height: number;
  color: boolean;
  home?: string | undefined;
  onQuit(): void;
  onZero(): void;
}

/**
 * Lines for the parts that grow: worktree rows and latest compiles share what the fixed parts leave,
 * one line short of the terminal (a full screen makes Ink clear and redraw it on every update).
 */
export function layoutRows(
  height: number,
  fixedLines: number,
  worktrees: number,
): { worktreeRows: number; recentRows: number } {
  const room = Math.max(2, height - 1 - fixedLines);
  const worktreeRows = Math.max(1, Math.min(worktrees, Math.ceil(room / 2)));
  const recentRows = room - worktreeRows - 1;
  return { worktreeRows, recentRows: recentRows >= 1 ? recentRows : 0 };
}

export function Dashboard({ view, now, width, height, color, home, onQuit, onZero }: DashboardProps) {
  const [keyState, setKeyState] = useState(INITIAL_KEY_STATE);
  const latestKeyState = useRef(keyState);
  const { order, confirmingZero } = keyState;
  const snapshot = view.snapshot;
  const rows = snapshot ? sortRows(worktreeRows(snapshot), order) : [];
  const selected = rows.find((row) => row.id === keyState.selectedId) ?? rows[0];
  const rowIds = useRef<string[]>([]);
  rowIds.current = rows.map((row) => row.id);
  const compileIds = useRef<string[]>([]);
  compileIds.current = [...view.recent].reverse().map(compileId);

  useInput((input, key) => {
    const { state, effect } = applyKey(latestKeyState.current, input, key, rowIds.current, compileIds.current);
    latestKeyState.current = state;
    setKeyState(state);
    if (effect === 'quit') onQuit();
    else if (effect === 'zero') onZero();
  });

  const reasonLines = Math.min(
    Object.keys(snapshot?.counters.notCacheable ?? {}).length,
    height >= 30 ? 3 : height >= 20 ? 2 : 1,
  );
  const headerLines = 2 + (view.config ? 1 : 0) + (view.note ? 1 : 0);
  const kindLines = height >= 26 && Object.keys(snapshot?.counters.byKind ?? {}).length > 0 ? 1 : 0;
  // header, table title, served-by, totals, by kind, reasons, sparkline, help
  const fixed = headerLines + 1 + 1 + 1 + kindLines + reasonLines + 1 + 1;
  const explaining = keyState.explaining;
  // The explanation takes up to 8 lines from the latest compiles, which keep at least 3.
  const layout = layoutRows(height, fixed, rows.length);
  const explanationLines = explaining ? Math.max(0, Math.min(8, layout.recentRows - 3)) : 0;
  const selectedCompile = explaining
    ? (view.recent.find((event) => compileId(event) === keyState.selectedCompile) ?? view.recent.at(-1))
    : undefined;
  const help = confirmingZero
    ? 'Zero the statistics of every worktree? y/n'
    : explaining
      ? 'q quit · ↑↓ select a compile · w or esc close'
      : `q quit · ↑↓ select · s sort: ${order} · z zero · w why`;

  return (
    <Box flexDirection="column" width={width}>
      <Header view={view} now={now} width={width} color={color} home={home} />
      {snapshot ? (
        <WorktreeTable
          rows={rows}
          selectedId={selected?.id}
          width={width}
          maxRows={layout.worktreeRows}
          color={color}
          home={home}
        />
      ) : (
        <Text dimColor>reading the statistics…</Text>
      )}
      <ServedBy row={selected} width={width} home={home} />
      {snapshot && <Totals counters={snapshot.counters} width={width} />}
      {snapshot && kindLines > 0 && <ByKind counters={snapshot.counters} width={width} />}
      {snapshot && <Reasons counters={snapshot.counters} width={width} limit={reasonLines} />}
      <HitRateSparkline history={view.history} now={now} width={width} />
      <RecentCompiles
        events={view.recent}
        width={width}
        maxRows={layout.recentRows - explanationLines}
        color={color}
        home={home}
        selected={explaining ? (selectedCompile ? compileId(selectedCompile) : undefined) : undefined}
      />
      {explaining && (
        <CompileExplanation event={selectedCompile} width={width} maxLines={explanationLines} home={home} />
      )}
      <Text
        wrap="truncate-end"
        inverse={confirmingZero}
        color={color && confirmingZero ? 'yellow' : undefined}
        dimColor={!confirmingZero}
      >
        {help}
      </Text>
    </Box>
  );
}
