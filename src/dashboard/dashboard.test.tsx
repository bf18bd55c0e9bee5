import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup } from 'ink-testing-library';
import { REASON_HINTS } from '../stats/format.js';
import { Dashboard, type DashboardProps } from './dashboard.js';
import { compileEvent, liveView, NOW, snapshot } from './test-factory.js';

afterEach(() => cleanup());

const MAIN = {
  id: 'main',
  root: '/home/dev/src/app',
  hits: 30,
  misses: 10,
  notCacheable: { 'crate-type': 6, incremental: 2 },
  activeMinutesAgo: 5,
};
const FEATURE = {
  id: 'feature',
  root: '/home/dev/src/app-feature',
  branch: 'feature',
  hits: 12,
  misses: 2,
  servedBy: { main: 9, feature: 3 },
  activeMinutesAgo: 1,
};

function show(props: Partial<DashboardProps> = {}) {
  const calls = { quit: 0, zero: 0 };
  const instance = render(
    <Dashboard
      view={liveView({ snapshot: snapshot([MAIN, FEATURE]) })}
      now={NOW}
      width={100}
      height={30}
      color
      home="/home/dev"
      onQuit={() => (calls.quit += 1)}
      onZero={() => (calls.zero += 1)}
      {...props}
    />,
  );
  return { ...instance, calls, frame: () => instance.lastFrame() ?? '' };
}

/** Input reaches Ink's handler on a later turn of the event loop. */
async function press(stdin: { write(data: string): void }, keys: string): Promise<void> {
  stdin.write(keys);
  await new Promise((resolve) => setImmediate(resolve));
}

/** Ink draws at most 30 frames a second: wait (bounded) for the frame that shows the change. */
const eventually = (check: () => void): Promise<void> => vi.waitFor(check, { timeout: 3000, interval: 20 });

const ARROW_DOWN = '\u001b[B';
const ARROW_UP = '\u001b[A';
const lines = (frame: string): string[] => frame.split('\n');

describe('Dashboard', () => {
  it('shows the server, the cache, the config file and one row per worktree, most recently active first', () => {
    const frame = show().frame();
    expect(frame).toContain('server running · pid 4242 · 0.1.0 · up 2 min 5 s');
    expect(frame).toContain('512 MiB of 10.0 GiB (5 %) · 321 entries · ~/.cache/hoard');
    expect(frame).toContain('config ~/.config/hoard/config.toml');
    const rows = lines(frame).filter((line) => line.includes('~/src/app'));
    expect(rows[0]).toMatch(/› ~\/src\/app-feature\s+app\s+feature\s+14\s+12\s+2\s+0\s+85\.7 %/);
    expect(rows[1]).toMatch(/ {2}~\/src\/app\s+app\s+main\s+48\s+30\s+10\s+8\s+75\.0 %/);
  });

  it('shows totals and the top reasons with their hints', () => {
    const frame = show().frame();
    expect(frame).toContain('total 42 hits · 12 misses · 77.8 % · 8 not cached · 62 requests · saved 1 min 3 s');
    // The hints are the table's own (REASON_HINTS), cut to the width.
    expect(frame).toContain(`not cached: crate-type 6   ${REASON_HINTS['crate-type']!.slice(0, 40)}`);
    expect(frame).toContain(`not cached: incremental 2  ${REASON_HINTS.incremental!.slice(0, 40)}`);
  });

  it("shows where the selected worktree's hits came from, and arrows move the selection", async () => {
    const { stdin, frame } = show();
    expect(frame()).toContain('hits in ~/src/app-feature: 9 from ~/src/app, 3 from itself');
    await press(stdin, ARROW_DOWN);
    await eventually(() => expect(frame()).toContain('› ~/src/app '));
    expect(frame()).toContain('no hits in ~/src/app yet');
    await press(stdin, ARROW_DOWN);
    await press(stdin, ARROW_UP);
    await eventually(() => expect(frame()).toContain('› ~/src/app-feature'));
  });

  it('s changes the sort order and says which one is in force', async () => {
    const { stdin, frame } = show();
    await press(stdin, 's');
    await eventually(() => expect(frame()).toContain('s sort: hits'));
    const rows = lines(frame()).filter((line) => line.includes('~/src/app'));
    expect(rows[0]).toContain('~/src/app ');
    expect(rows[1]).toContain('~/src/app-feature');
  });

  it('z asks before zeroing; only y zeroes', async () => {
    const { stdin, frame, calls } = show();
    await press(stdin, 'z');
    await eventually(() => expect(frame()).toContain('Zero the statistics of every worktree? y/n'));
    await press(stdin, 'n');
    await eventually(() => expect(frame()).toContain('q quit'));
    expect(calls.zero).toBe(0);
    await press(stdin, 'z');
    await press(stdin, 'y');
    await eventually(() => expect(calls.zero).toBe(1));
  });

  it('q quits', async () => {
    const { stdin, calls } = show();
    await press(stdin, 'q');
    await eventually(() => expect(calls.quit).toBe(1));
  });

  it('shows the latest compiles, newest first, with outcome, worktree and time', () => {
    const recent = [
      compileEvent({ crate: 'serde', outcome: 'miss', durationMs: 3100, at: NOW - 3000 }),
      compileEvent({ crate: 'regex', outcome: 'hit', durationMs: 40, savedMs: 2900, at: NOW - 2000 }),
      compileEvent({
        crate: 'app',
        kind: 'rust binary',
        outcome: 'not-cacheable',
        reason: 'crate-type',
        at: NOW - 1000,
      }),
    ];
    const frame = show({ view: liveView({ snapshot: snapshot([MAIN]), recent }) }).frame();
    const streamed = lines(frame).filter((line) => /serde|regex|app +rust binary/.test(line));
    expect(streamed).toHaveLength(3);
    expect(streamed[0]).toMatch(/not cached\s+app\s+rust binary\s+~\/src\/app\s+crate-type/);
    expect(streamed[1]).toMatch(/hit\s+regex\s+rust library\s+~\/src\/app\s+40 ms\s+compile 2\.9 s/);
    expect(streamed[2]).toMatch(/miss\s+serde\s+rust library\s+~\/src\/app\s+3\.1 s/);
  });

  it('shows hits out of requests by kind of compile, most requested first', () => {
    const withKinds = snapshot([MAIN]);
    withKinds.counters.byKind = {
      'rust build script': { requests: 6, hits: 0, misses: 0, notCacheable: 6 },
      'rust library': { requests: 40, hits: 30, misses: 10, notCacheable: 0 },
    };
    const frame = show({ view: liveView({ snapshot: withKinds }) }).frame();
    expect(frame).toContain('hits by kind rust library 30/40 · rust build script 0/6');
  });

  it('draws the hit rate per minute as a sparkline', () => {
    const minute = Math.floor(NOW / 60_000) * 60_000;
    const history = [
      { minute: minute - 120_000, hits: 0, misses: 4 },
      { minute: minute - 60_000, hits: 2, misses: 2 },
      { minute, hits: 9, misses: 0 },
    ];
    const frame = show({ view: liveView({ history }) }).frame();
    expect(frame).toMatch(/hit rate\/min ·+▁▅█ 100\.0 %/);
  });

  it('with no compiles yet says how to get some', () => {
    const frame = show({ view: liveView({ snapshot: snapshot([]) }) }).frame();
    expect(frame).toContain('No compiles recorded yet');
    expect(frame).toContain('total 0 hits · 0 misses · -');
    expect(frame).toContain('none yet');
  });

  it('before the first answer says it is connecting, not that nothing was compiled', () => {
    const frame = show({
      view: liveView({ connection: 'connecting', snapshot: undefined, config: undefined }),
    }).frame();
    expect(frame).toContain('server: connecting…');
    expect(frame).toContain('reading the statistics…');
    expect(frame).not.toContain('No compiles recorded yet');
  });

  it('with no server says so and still shows the saved statistics', () => {
    const frame = show({ view: liveView({ connection: 'not-running', snapshot: snapshot([MAIN], false) }) }).frame();
    expect(frame).toContain('server not running · showing saved statistics');
    expect(frame).toMatch(/~\/src\/app\s+app\s+main\s+48\s+30/);
  });

  it('says why a draining server stops, and shows a config file that is not in use', () => {
    const file = '/home/dev/.config/hoard/config.toml';
    const view = liveView({
      stopping: 'idle for 600 s',
      config: { file, problem: `${file}:2: cache_size: expected a size` },
    });
    const frame = show({ view }).frame();
    expect(frame).toContain('server stopping (idle for 600 s)');
    expect(frame).toContain('config ~/.config/hoard/config.toml NOT IN USE: line 2: cache_size: expected a size');
  });

  it('keeps many worktrees within the height, the selection in view', async () => {
    const many = Array.from({ length: 40 }, (_, index) => ({
      id: `wt${index}`,
      root: `/home/dev/src/wt${String(index).padStart(2, '0')}`,
      hits: index,
      activeMinutesAgo: index,
    }));
    const { stdin, frame } = show({ view: liveView({ snapshot: snapshot(many) }), height: 24 });
    expect(lines(frame()).length).toBeLessThan(24);
    expect(frame()).toContain('WORKTREE 1-');
    expect(frame()).toContain('of 40');
    // Faster than Ink redraws, as a held key: each press moves on from the last, not from the last frame.
    for (let step = 0; step < 30; step += 1) await press(stdin, ARROW_DOWN);
    await eventually(() => expect(frame()).toContain('› ~/src/wt30'));
    expect(lines(frame()).length).toBeLessThan(24);
  });

  it('cuts long paths from the left so the worktree directory stays readable', () => {
    const deep = {
      id: 'deep',
      root: `/home/dev/${'very-long-directory-name/'.repeat(6)}my-feature`,
      hits: 3,
      misses: 1,
    };
    const frame = show({ view: liveView({ snapshot: snapshot([deep]) }), width: 80 }).frame();
    expect(frame).toMatch(/› …[^ ]*\/my-feature/);
    for (const line of lines(frame)) expect(line.length).toBeLessThanOrEqual(80);
  });

  it('at 60 columns keeps worktree, hits, hit rate and the server state', () => {
    const recent = [compileEvent({ crate: 'serde', outcome: 'hit', durationMs: 40, savedMs: 2900 })];
    const frame = show({ width: 60, view: liveView({ snapshot: snapshot([MAIN, FEATURE]), recent }) }).frame();
    for (const line of lines(frame)) expect(line.length).toBeLessThanOrEqual(60);
    expect(frame).toContain('server running');
    const header = lines(frame).find((line) => line.includes('WORKTREE'))!;
    expect(header).toContain('HITS');
    expect(header).toContain('HIT RATE');
    expect(frame).toMatch(/› ~\/src\/app-feature\s+12\s.*85\.7 %/);
    expect(frame).toMatch(/hit\s+serde\s+~\/src\/app\s+40 ms/);
  });

  it("shows a miss's cause in its row, and w opens the explanation of the compile the arrows select", async () => {
    const recent = [
      compileEvent({
        crate: 'wt_core',
        outcome: 'miss',
        durationMs: 900,
        at: NOW - 3000,
        why: {
          cause: 'sources',
          short: 'edit lib.rs',
          lines: ['source wt-core/src/lib.rs changed (1a2b3c4d5e6f → 6f5e4d3c2b1a)'],
        },
      }),
      compileEvent({
        crate: 'wt_util',
        outcome: 'miss',
        durationMs: 700,
        at: NOW - 2000,
        why: {
          cause: 'dependencies',
          short: 'dep wt_core',
          lines: ['dependency wt_core changed (--extern wt_core: 111111111111 → 222222222222)'],
        },
      }),
      compileEvent({ crate: 'itoa', outcome: 'hit', durationMs: 20, savedMs: 400, at: NOW - 1000 }),
    ];
    const { stdin, frame } = show({ view: liveView({ snapshot: snapshot([MAIN]), recent }), height: 40 });
    expect(frame()).toMatch(/miss\s+wt_util\s+rust library\s+~\/src\/app\s+700 ms\s+dep wt_core/);
    expect(frame()).toMatch(/miss\s+wt_core\s+.*edit lib\.rs/);
    expect(frame()).toContain('w why');
    await press(stdin, 'w');
    // The newest compile first: a hit.
    await eventually(() => expect(frame()).toContain('why itoa (hit'));
    expect(frame()).toContain('a hit: restored from the cache');
    expect(frame()).toContain('↑↓ select a compile');
    await press(stdin, ARROW_DOWN);
    await press(stdin, ARROW_DOWN);
    await eventually(() => expect(frame()).toContain('why wt_core (miss'));
    expect(frame()).toContain('source wt-core/src/lib.rs changed (1a2b3c4d5e6f → 6f5e4d3c2b1a)');
    expect(lines(frame()).find((line) => line.includes('› ') && line.includes('wt_core'))).toBeDefined();
    // The arrows moved among the compiles, not the worktrees; w closes the explanation.
    await press(stdin, 'w');
    await eventually(() => expect(frame()).not.toContain('why wt_core'));
    expect(frame()).toContain('s sort: recent');
  });
});
