import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatStatsTable, formatWorktreeTable, worktreeRows } from './format.js';
import type { StatsSnapshot } from '../stats/snapshot.js';
import type { Worktree } from '../worktree/locate.js';
import { StatsStore } from './stats-store.js';

const A: Worktree = {
  id: 'a0264a4e7c4e5542',
  repository: '/src/app/.git',
  name: 'app',
  root: '/src/app',
  branch: 'main',
};
const B: Worktree = {
  id: 'b1111111111111111',
  repository: '/src/app/.git',
  name: 'app',
  root: '/src/app-b',
  branch: 'b',
};

function snapshotOf(store: StatsStore): StatsSnapshot {
  return {
    counters: store.counters,
    worktrees: store.worktrees,
    knownWorktrees: store.knownWorktrees,
    since: store.since,
    cache: { dir: '/c', sizeBytes: 0, limitBytes: 1, entries: 0 },
    server: { running: false },
  };
}

describe('StatsStore', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("names the producer of hits by its path after --zero removed the producer's row, also in the next server", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hoard-stats-'));
    dirs.push(dir);
    const path = join(dir, 'stats.json');
    const store = new StatsStore(path);
    store.updateFor(A, (counters) => (counters.misses += 86));
    store.zero();
    store.updateFor(
      B,
      (counters) => (counters.hits += 86),
      (record) => (record.servedBy[A.id] = 86),
    );
    expect(worktreeRows(snapshotOf(store)).find((row) => row.id === B.id)!.servedBy).toEqual([
      { id: A.id, name: 'app', root: '/src/app', hits: 86 },
    ]);
    await store.flush();
    const next = new StatsStore(path);
    expect(formatWorktreeTable(snapshotOf(next), '/home/nobody')).toContain('hits in /src/app-b: 86 from /src/app');
  });

  it('counts misses by cause, and says how many base directories would have turned into hits', () => {
    const store = new StatsStore(join(tmpdir(), 'hoard-stats-never-written.json'));
    store.updateFor(A, (counters) => {
      counters.misses += 3;
      counters.missCauses['first-build'] = 2;
      counters.missCauses.location = 1;
      counters.baseDirsWouldHit = 1;
    });
    const table = formatStatsTable(snapshotOf(store));
    expect(table).toMatch(
      /Cache misses\s+3\n\s+first build\s+2\n\s+checkout path\s+1\n\s+\(would hit with basedirs\)\s+1/,
    );
    expect(formatWorktreeTable(snapshotOf(store))).toContain('misses in /src/app: 2 first build, 1 checkout path');
  });
});
