import { describe, expect, it } from 'vitest';
import { fitColumns, renderLine, type Column } from './columns.js';
import { percent, rateBar, sparkline, truncateEnd, truncateStart } from './glyphs.js';
import { applyKey, INITIAL_KEY_STATE } from './keys.js';
import { layoutRows } from './dashboard.js';

const NO_KEY = { upArrow: false, downArrow: false, escape: false };

describe('glyphs', () => {
  it('truncates from either end with an ellipsis, within the width', () => {
    expect(truncateEnd('abcdef', 4)).toBe('abc…');
    expect(truncateStart('/a/b/feature', 8)).toBe('…feature');
    expect(truncateStart('short', 8)).toBe('short');
    expect(truncateEnd('x', 0)).toBe('');
  });

  it('draws rates as bars of eighths and percentages; no rate is dots and a dash', () => {
    expect(rateBar(1, 4)).toBe('████');
    expect(rateBar(0, 4)).toBe('░░░░');
    expect(rateBar(0.5, 4)).toBe('██░░');
    expect(rateBar(0.53, 4)).toBe('██▏░');
    expect(rateBar(null, 3)).toBe('···');
    expect(percent(0.857)).toBe('85.7 %');
    expect(percent(undefined)).toBe('-');
  });

  it('draws a sparkline with a dot for quiet minutes', () => {
    expect(sparkline([0, undefined, 0.5, 1])).toBe('▁·▅█');
  });
});

describe('fitColumns', () => {
  const column = (title: string, width: number, priority: number, flexible = false): Column<string> => ({
    title,
    width,
    priority,
    flexible,
    align: 'left',
    cell: (row) => row,
  });

  it('drops the least important columns until the line fits, and widens the flexible one', () => {
    const columns = [column('NAME', 10, 1, true), column('A', 5, 3), column('B', 5, 2), column('C', 5, 1)];
    expect(fitColumns(columns, 40).map((kept) => [kept.title, kept.width])).toEqual([
      ['NAME', 22],
      ['A', 5],
      ['B', 5],
      ['C', 5],
    ]);
    expect(fitColumns(columns, 22).map((kept) => kept.title)).toEqual(['NAME', 'B', 'C']);
    expect(fitColumns(columns, 16).map((kept) => kept.title)).toEqual(['NAME', 'C']);
    expect(renderLine(fitColumns(columns, 16), 'x')).toBe(`${'x'.padEnd(10)} x    `);
  });
});

describe('applyKey', () => {
  const rows = ['a', 'b', 'c'];

  it('moves the selection within the rows, starting from the first', () => {
    let state = applyKey(INITIAL_KEY_STATE, '', { ...NO_KEY, downArrow: true }, rows).state;
    expect(state.selectedId).toBe('b');
    state = applyKey(state, 'j', NO_KEY, rows).state;
    state = applyKey(state, 'j', NO_KEY, rows).state;
    expect(state.selectedId).toBe('c');
    state = applyKey(state, '', { ...NO_KEY, upArrow: true }, rows).state;
    expect(state.selectedId).toBe('b');
    expect(applyKey(INITIAL_KEY_STATE, 'k', NO_KEY, rows).state.selectedId).toBe('a');
  });

  it('zeroes only after y; q and Escape quit; s cycles the order', () => {
    const asking = applyKey(INITIAL_KEY_STATE, 'z', NO_KEY, rows);
    expect(asking).toEqual({ state: { ...INITIAL_KEY_STATE, confirmingZero: true } });
    expect(applyKey(asking.state, 'y', NO_KEY, rows).effect).toBe('zero');
    expect(applyKey(asking.state, 'q', NO_KEY, rows)).toEqual({ state: INITIAL_KEY_STATE });
    expect(applyKey(INITIAL_KEY_STATE, 'q', NO_KEY, rows).effect).toBe('quit');
    expect(applyKey(INITIAL_KEY_STATE, '', { ...NO_KEY, escape: true }, rows).effect).toBe('quit');
    expect(applyKey(INITIAL_KEY_STATE, 's', NO_KEY, rows).state.order).toBe('hits');
  });
});

describe('layoutRows', () => {
  it('shares the room left by the fixed parts, one line short of the terminal', () => {
    expect(layoutRows(30, 10, 2)).toEqual({ worktreeRows: 2, recentRows: 16 });
    expect(layoutRows(30, 10, 40)).toEqual({ worktreeRows: 10, recentRows: 8 });
    expect(layoutRows(12, 10, 5)).toEqual({ worktreeRows: 1, recentRows: 0 });
  });
});
