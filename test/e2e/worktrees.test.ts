import { chmodSync, cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorktreeRow } from '../../src/stats/format.js';
import {
  artifactDigests,
  createSandbox,
  expectSuccess,
  requireBuiltAndInstalled,
  toolsSkipReason,
  type Sandbox,
} from './harness.js';

const FIXTURE = 'workspace';
/** basedirs = auto: strip the root of each compile's worktree from its key and remap it in outputs. */
const AUTO = { HOARD_BASEDIRS: 'auto' };

async function git(cwd: string, ...args: string[]): Promise<void> {
  await execa('git', ['-c', 'user.name=hoard', '-c', 'user.email=hoard@example.invalid', ...args], { cwd });
}

describe.skipIf(toolsSkipReason('the worktree tests', ['git']))('worktrees', () => {
  let sandbox: Sandbox;
  let a: string;
  let b: string;
  let cacheable = 0;

  beforeAll(async () => {
    requireBuiltAndInstalled(FIXTURE);
    sandbox = createSandbox();
    a = sandbox.project(FIXTURE, 'repo');
    b = join(sandbox.root, 'repo-feature');
    await git(a, 'init', '-q', '-b', 'main');
    await git(a, 'add', '.');
    await git(a, 'commit', '-q', '-m', 'fixture');
    await git(a, 'worktree', 'add', '-q', '-b', 'feature', b);
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('hits on every cacheable compile in a second worktree, members included', async () => {
    expectSuccess(await sandbox.cargo(a, ['build'], AUTO), 'build in A');
    const afterA = (await sandbox.stats()).counters;
    cacheable = afterA.misses;
    expect(cacheable).toBeGreaterThanOrEqual(8);
    expectSuccess(await sandbox.cargo(b, ['build'], AUTO), 'build in B');
    const afterB = (await sandbox.stats()).counters;
    expect(afterB.misses - afterA.misses).toBe(0);
    expect(afterB.hits - afterA.hits).toBe(cacheable);
    const run = await execa(join(b, 'target', 'debug', 'wt-app'));
    expect(run.stdout).toContain('squares 0,1,4,9');
  });

  it('shows both worktrees in the statistics, and that B was served by A', async () => {
    const result = await sandbox.hoard(['stats', '--by', 'worktree', '--json']);
    expectSuccess(result, 'hoard stats --by worktree --json');
    const rows = (JSON.parse(result.stdout) as { worktrees: WorktreeRow[] }).worktrees;
    const rowA = rows.find((row) => row.root === a)!;
    const rowB = rows.find((row) => row.root === b)!;
    expect(rowA).toMatchObject({ name: 'repo', branch: 'main' });
    expect(rowB).toMatchObject({ name: 'repo', branch: 'feature' });
    expect(rowA.counters).toMatchObject({ hits: 0, misses: cacheable });
    expect(rowB.counters).toMatchObject({ hits: cacheable, misses: 0 });
    expect(rowB.servedBy).toEqual([{ id: rowA.id, name: 'repo', root: a, hits: cacheable }]);
    const table = await sandbox.hoard(['stats', '--by', 'worktree']);
    expect(table.stdout).toContain(`hits in ${b}: ${cacheable} from ${a}`);
  });

  it('restores outputs byte-identical to an uncached build in B with the same path mapping', async () => {
    const restored = artifactDigests(b);
    // The same compile without hoard: a wrapper that only adds the remapping hoard adds.
    const remap = join(sandbox.root, 'remap-only.sh');
    writeFileSync(
      remap,
      `#!/bin/sh\ncase "$PWD/" in "${b}/"*) exec "$@" "--remap-path-prefix=${b}=." ;; esac\nexec "$@"\n`,
    );
    chmodSync(remap, 0o755);
    expectSuccess(await sandbox.cargo(b, ['clean']), 'clean B');
    expectSuccess(await sandbox.cargo(b, ['build'], { ...AUTO, RUSTC_WRAPPER: remap }), 'uncached build in B');
    expect(artifactDigests(b)).toEqual(restored);
  });

  it("names B's own sources in restored dep-info: an edit in B rebuilds there, and A stays fresh", async () => {
    expectSuccess(await sandbox.cargo(b, ['clean']), 'clean B');
    expectSuccess(await sandbox.cargo(b, ['build'], AUTO), 'restore B from the cache');
    const depInfo = readFileSync(join(b, 'target', 'debug', 'deps', readdirName(b, 'wt_util', '.d')), 'utf8');
    expect(depInfo).not.toContain(`${a}/`);
    expect(depInfo).toContain(`${b}/`);
    const source = join(b, 'wt-util', 'src', 'lib.rs');
    writeFileSync(source, `${readFileSync(source, 'utf8')}\npub fn only_in_b() -> u8 { 2 }\n`);
    const rebuild = await sandbox.cargo(b, ['build', '-v'], AUTO);
    expectSuccess(rebuild, 'build in B after an edit');
    expect(rebuild.stderr).toMatch(/Running `.*--crate-name wt_util/);
    const inA = await sandbox.cargo(a, ['build', '-v'], AUTO);
    expectSuccess(inA, 'build in A');
    expect(inA.stderr).not.toMatch(/Running `/);
  });

  it('hits from a copy of the repository at an unrelated path', async () => {
    const c = join(sandbox.root, 'elsewhere', 'checkout');
    cpSync(a, c, { recursive: true, filter: (path) => !path.includes('/target') });
    const before = (await sandbox.stats()).counters;
    expectSuccess(await sandbox.cargo(c, ['build'], AUTO), 'build in the copy');
    const after = (await sandbox.stats()).counters;
    expect(after.misses - before.misses).toBe(0);
    expect(after.hits - before.hits).toBe(cacheable);
  });

  it('builds with CARGO_INCREMENTAL=1: registry crates still hit, members are counted as incremental', async () => {
    expectSuccess(await sandbox.cargo(a, ['clean']), 'clean A');
    const before = (await sandbox.stats()).counters;
    expectSuccess(await sandbox.cargo(a, ['build'], { ...AUTO, CARGO_INCREMENTAL: '1' }), 'incremental build');
    const after = (await sandbox.stats()).counters;
    // The three member libraries, the binary and wt-core's build script: cargo compiles all of a
    // workspace's own crates incrementally in dev builds.
    expect((after.notCacheable.incremental ?? 0) - (before.notCacheable.incremental ?? 0)).toBe(5);
    expect(after.hits - before.hits).toBe(cacheable - 5);
    expect(after.misses).toBe(before.misses);
    const table = await sandbox.hoard(['stats']);
    expect(table.stdout).toMatch(/incremental\s+\d+\s+\(set CARGO_INCREMENTAL=0/);
  });
});

function readdirName(project: string, crate: string, extension: string): string {
  const name = readdirSync(join(project, 'target', 'debug', 'deps')).find(
    (file) => file.startsWith(`${crate}-`) && file.endsWith(extension),
  );
  if (!name) throw new Error(`no ${crate}-*${extension} in ${project}/target/debug/deps`);
  return name;
}
