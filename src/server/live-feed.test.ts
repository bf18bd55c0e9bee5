import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { attachDecoder } from '../protocol/framing.js';
import type { LiveUpdate } from '../protocol/messages.js';
import { emptyCounters } from '../stats/counters.js';
import type { StatsSnapshot } from '../stats/snapshot.js';
import { crateNameOf, LiveFeed, RECENT_COMPILES } from './live-feed.js';

const WORKTREE = { id: 'w1', repository: '/src/app/.git', name: 'app', root: '/src/app', branch: 'main' };

function snapshotOf(hits: number): StatsSnapshot {
  return {
    counters: { ...emptyCounters(), hits },
    worktrees: {},
    since: '2026-01-01T00:00:00.000Z',
    cache: { dir: '/cache', sizeBytes: 0, limitBytes: 1, entries: 0 },
    server: { running: true, pid: 1, version: 'test', uptimeMs: 0 },
  };
}

/** A real socket pair: the server's end goes to the feed, the client's end collects what it sends. */
describe('LiveFeed', () => {
  let dir: string;
  let server: Server;
  let hits: number;
  let feed: LiveFeed;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hoard-feed-'));
    server = createServer();
    await new Promise<void>((resolve) => server.listen(join(dir, 'sock'), resolve));
    hits = 0;
    feed = new LiveFeed({ snapshot: () => snapshotOf(hits), config: () => ({ file: '/config.toml' }) });
  });

  afterEach(async () => {
    await feed.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function subscriber(): Promise<{ updates: LiveUpdate[]; client: Socket }> {
    const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
    const client = connect(join(dir, 'sock'));
    const updates: LiveUpdate[] = [];
    client.on('error', () => undefined);
    attachDecoder(
      client,
      (message) => updates.push(message as LiveUpdate),
      () => undefined,
    );
    feed.subscribe(await accepted);
    return { updates, client };
  }

  it('sends the whole state at once, then the compiles as they are recorded', async () => {
    const { updates } = await subscriber();
    await vi.waitFor(() => expect(updates).toHaveLength(1));
    expect(updates[0]).toMatchObject({ type: 'live', recent: [], history: [], config: { file: '/config.toml' } });
    hits = 1;
    feed.record({
      crate: 'serde',
      kind: 'rust library',
      worktree: WORKTREE,
      outcome: 'hit',
      durationMs: 5,
      savedMs: 900,
    });
    feed.record({
      crate: 'app',
      kind: 'rust binary',
      worktree: WORKTREE,
      outcome: 'not-cacheable',
      reason: 'crate-type',
    });
    await vi.waitFor(() => expect(updates.at(-1)?.recent).toHaveLength(2));
    const last = updates.at(-1)!;
    expect(last.recent[0]).toMatchObject({
      crate: 'serde',
      outcome: 'hit',
      worktree: { id: 'w1', name: 'app', root: '/src/app' },
    });
    expect(last.history.map((point) => [point.hits, point.misses])).toEqual([[1, 0]]);
    expect(last.snapshot.counters.hits).toBe(1);
  });

  it('pushes counter changes that come without a compile', async () => {
    const { updates } = await subscriber();
    await vi.waitFor(() => expect(updates).toHaveLength(1));
    hits = 7;
    await vi.waitFor(() => expect(updates.at(-1)?.snapshot.counters.hits).toBe(7), { timeout: 5000 });
  });

  it('keeps the latest compiles only; zeroing clears them and the history', async () => {
    for (let index = 0; index < RECENT_COMPILES + 5; index += 1)
      feed.record({ crate: `c${index}`, kind: 'rust library', worktree: WORKTREE, outcome: 'miss', durationMs: 1 });
    const { updates } = await subscriber();
    await vi.waitFor(() => expect(updates).toHaveLength(1));
    expect(updates[0]!.recent).toHaveLength(RECENT_COMPILES);
    expect(updates[0]!.recent[0]!.crate).toBe('c5');
    expect(updates[0]!.history[0]!.misses).toBe(RECENT_COMPILES + 5);
    feed.zeroed();
    await vi.waitFor(() => expect(updates.at(-1)).toMatchObject({ recent: [], history: [] }));
  });

  it('tells subscribers why the server stops', async () => {
    const { updates } = await subscriber();
    feed.stopping('idle for 600 s');
    await vi.waitFor(() => expect(updates.at(-1)?.stopping).toBe('idle for 600 s'));
  });

  it('forgets a subscriber that hung up', async () => {
    const { client } = await subscriber();
    expect(feed.subscriberCount).toBe(1);
    client.destroy();
    await vi.waitFor(() => expect(feed.subscriberCount).toBe(0));
  });

  it('keeps the history for the next server', async () => {
    const historyPath = join(dir, 'hit-history.json');
    const first = new LiveFeed({ snapshot: () => snapshotOf(0), config: () => ({ file: '' }), historyPath });
    first.record({ crate: 'a', kind: 'rust library', worktree: WORKTREE, outcome: 'hit' });
    await first.close();
    const next = new LiveFeed({ snapshot: () => snapshotOf(0), config: () => ({ file: '' }), historyPath });
    expect(next.history.recent().map((point) => point.hits)).toEqual([1]);
    await next.close();
  });
});

describe('crateNameOf', () => {
  it('finds --crate-name in either spelling', () => {
    expect(crateNameOf(['rustc', '--crate-name', 'serde', 'src/lib.rs'])).toBe('serde');
    expect(crateNameOf(['rustc', '--crate-name=regex'])).toBe('regex');
    expect(crateNameOf(['rustc', '-vV'])).toBe('?');
    expect(
      crateNameOf(['rustc', '--crate-name', 'build_script_build', 'build.rs'], { CARGO_PKG_NAME: 'wt-core' }),
    ).toBe('wt-core');
  });
});
