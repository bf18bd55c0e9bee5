import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ManifestEntry } from '../cache/manifest-store.js';
import { emptyCounters, type Counters } from '../stats/counters.js';
import type { Worktree } from '../worktree/locate.js';
import type { Section } from './differences.js';
import { MissExplainer, type ObservedCompile } from './explainer.js';
import { MAX_RECORDS_PER_UNIT, MAX_UNITS } from './history.js';
import { lastBuild } from './report.js';

const A: Worktree = { id: 'a', repository: '/w/a/.git', name: 'a', root: '/w/a', branch: 'main' };

/** A fake world: manifests by direct key, file digests by path, a clock. */
function world() {
  const manifests = new Map<string, ManifestEntry[]>();
  const files = new Map<string, string>();
  const counters = emptyCounters();
  let now = 1_000_000;
  const dirs: string[] = [];
  const make = (path?: string) =>
    new MissExplainer({
      combinations: async (direct) => manifests.get(direct) ?? [],
      memo: { digest: async (path: string) => files.get(path) },
      count: (_worktree, change: (counters: Counters) => void) => change(counters),
      ...(path ? { path } : {}),
      now: () => now,
    });
  return {
    manifests,
    files,
    counters,
    make,
    tick: (ms: number) => (now += ms),
    tempDir: () => {
      const dir = mkdtempSync(join(tmpdir(), 'hoard-why-'));
      dirs.push(dir);
      return dir;
    },
    cleanup: () => {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function compile(
  unit: string,
  direct: string,
  sections: Section[],
  worktree: Worktree = A,
  env: Record<string, string> = {},
): ObservedCompile {
  return {
    worktree,
    direct,
    lookup: {
      path: (recorded) => (recorded.startsWith('/') ? recorded : `${worktree.root}/${recorded}`),
      env: (name) => env[name] ?? null,
    },
    why: {
      unit,
      name: unit,
      kind: 'rust library',
      path: `${unit}/src/lib.rs`,
      sections,
      compiler: '/bin/rustc (rustc 1.95.0)',
    },
  };
}

const SECTIONS: Section[] = [
  ['2 compiler', 'c1'],
  ['3 argument', '--crate-name=core'],
];

describe('MissExplainer', () => {
  let current: ReturnType<typeof world> | undefined;
  afterEach(() => current?.cleanup());

  it('calls a unit never seen a first build, and names the source that changed since', async () => {
    const w = (current = world());
    const explainer = w.make();
    w.files.set('/w/a/core/src/lib.rs', 'd1');
    const first = compile('core', 'k1', SECTIONS);
    expect(await explainer.miss(first)).toMatchObject({ cause: 'first-build' });
    w.manifests.set('k1', [{ files: [['core/src/lib.rs', 'd1']], envDeps: [['WHY', 'one']], resultKey: 'r1' }]);
    explainer.stored(first, 'r1');
    w.files.set('/w/a/core/src/lib.rs', 'd2');
    const summary = await explainer.miss(compile('core', 'k1', SECTIONS, A, { WHY: 'one' }));
    expect(summary).toMatchObject({ cause: 'sources', lines: ['source core/src/lib.rs changed (d1 → d2)'] });
    expect(w.counters.missCauses).toEqual({ 'first-build': 1, sources: 1 });
  });

  it('names an env! value, and compares with the nearest of several earlier compiles', async () => {
    const w = (current = world());
    const explainer = w.make();
    const other: Section[] = [
      ['2 compiler', 'c1'],
      ['3 argument', '--crate-name=core'],
      ['3 argument', '--cfg=feature="x"'],
    ];
    w.manifests.set('k1', [{ files: [], envDeps: [['WHY', 'one']], resultKey: 'r1' }]);
    w.manifests.set('k2', [{ files: [], envDeps: [], resultKey: 'r2' }]);
    explainer.hit(compile('core', 'k1', SECTIONS), 'r1');
    explainer.hit(compile('core', 'k2', other), 'r2');
    const summary = await explainer.miss(compile('core', 'k1', SECTIONS, A, { WHY: 'two' }));
    expect(summary?.lines).toEqual(['env! variable WHY: one → two']);
  });

  it('says the entry is gone when nothing differs', async () => {
    const w = (current = world());
    const explainer = w.make();
    w.manifests.set('k1', [{ files: [], envDeps: [], resultKey: 'r1' }]);
    explainer.hit(compile('core', 'k1', SECTIONS), 'r1');
    expect(await explainer.miss(compile('core', 'k1', SECTIONS))).toMatchObject({ cause: 'evicted' });
  });

  it('counts a miss that only the checkout path explains, when no base directory is configured', async () => {
    const w = (current = world());
    const explainer = w.make();
    const B: Worktree = { ...A, id: 'b', root: '/w/b' };
    explainer.hit(compile('core', 'k1', [...SECTIONS, ['8 cwd', '/w/a']]), 'r1');
    const summary = await explainer.miss(compile('core', 'k2', [...SECTIONS, ['8 cwd', '/w/b']], B));
    expect(summary).toMatchObject({ cause: 'location' });
    expect(summary?.lines.at(-1)).toContain('basedirs');
    expect(w.counters.baseDirsWouldHit).toBe(1);
  });

  it('tells builds apart by a pause, and the last build’s misses by cause', async () => {
    const w = (current = world());
    const explainer = w.make();
    await explainer.miss(compile('core', 'k1', SECTIONS));
    w.tick(10_000);
    explainer.hit(compile('core', 'k1', SECTIONS), 'r1');
    w.tick(100);
    await explainer.miss(compile('util', 'k3', SECTIONS));
    const last = lastBuild(explainer.history.toJSON());
    expect(last).toMatchObject({ compiles: 2, hits: 1, misses: 1 });
    expect(last.byCause.map((group) => [group.cause, group.misses.map((miss) => miss.name)])).toEqual([
      ['first-build', ['util']],
    ]);
  });

  it('keeps secret-looking variables by digest, and still names them when they change', async () => {
    const w = (current = world());
    const path = join(w.tempDir(), 'why-history.json');
    const explainer = w.make(path);
    explainer.hit(compile('core', 'k1', [...SECTIONS, ['7 env', 'CARGO_REGISTRY_TOKEN=hunter2']]), 'r1');
    const summary = await explainer.miss(
      compile('core', 'k2', [...SECTIONS, ['7 env', 'CARGO_REGISTRY_TOKEN=hunter3']]),
    );
    expect(summary).toMatchObject({ cause: 'environment' });
    expect(summary?.lines[0]).toMatch(/^environment CARGO_REGISTRY_TOKEN: <digest \w+> → <digest \w+>$/);
    await explainer.save();
    expect(readFileSync(path, 'utf8')).not.toMatch(/hunter/);
  });

  it('stays bounded after many compiles, on disk too, and a new server reads what the last one saved', async () => {
    const w = (current = world());
    const path = join(w.tempDir(), 'why-history.json');
    const explainer = w.make(path);
    for (let index = 0; index < 3 * MAX_UNITS; index += 1) {
      const unit = `crate${index % (2 * MAX_UNITS)}`;
      for (let round = 0; round < 3; round += 1) {
        const sections: Section[] = [...SECTIONS, ['3 argument', `-C=opt-level=${index}-${round}`]];
        if (round === 1) await explainer.miss(compile(unit, `k${index}-${round}`, sections));
        else explainer.hit(compile(unit, `k${index}-${round}`, sections), 'r');
        w.tick(10);
      }
    }
    const units = explainer.history.all();
    expect(units).toHaveLength(MAX_UNITS);
    expect(Math.max(...units.map((unit) => unit.records.length))).toBeLessThanOrEqual(MAX_RECORDS_PER_UNIT);
    // Key inputs are kept only for the compiles remembered.
    expect(explainer.history.keyCount).toBeLessThanOrEqual(MAX_UNITS * MAX_RECORDS_PER_UNIT);
    await explainer.save();
    const size = statSync(path).size;
    expect(size).toBeLessThan(MAX_UNITS * MAX_RECORDS_PER_UNIT * 1024);
    const next = w.make(path);
    expect(next.history.unitCount).toBe(MAX_UNITS);
    expect(JSON.parse(readFileSync(path, 'utf8')).units).toHaveLength(MAX_UNITS);
    // The next server's misses are compared with what the last one saw.
    const lastUnit = units.at(-1)!;
    const newest = lastUnit.records.at(-1)!;
    const again = await next.miss(compile(lastUnit.unit, 'k-new', [...SECTIONS, ['3 argument', '-C=opt-level=9']]));
    expect(again?.cause).toBe('arguments');
    expect(newest.outcome).toBeDefined();
  });
});
