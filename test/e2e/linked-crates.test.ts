import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Counters } from '../../src/stats/counters.js';
import { sumOf } from '../../src/stats/counters.js';
import {
  artifactDigests,
  createSandbox,
  expectSuccess,
  fixtureSkipReason,
  requireBuiltAndInstalled,
  type Sandbox,
} from './harness.js';

/** The benchmark workload: serde and clap derives, tokio, regex… ~55 crates, 3 proc-macros, many build scripts. */
const PROJECT = 'bench/project';

function delta(after: Counters, before: Counters, kind: string, outcome: 'hits' | 'misses' | 'requests'): number {
  return (after.byKind[kind]?.[outcome] ?? 0) - (before.byKind[kind]?.[outcome] ?? 0);
}

describe.skipIf(fixtureSkipReason(PROJECT))('linked crates: proc-macros, build scripts and binaries', () => {
  let sandbox: Sandbox;
  let project: string;
  let baseline: Map<string, string>;

  beforeAll(async () => {
    requireBuiltAndInstalled(PROJECT);
    sandbox = createSandbox();
    project = sandbox.project(PROJECT);
    expectSuccess(await sandbox.cargo(project, ['build'], { RUSTC_WRAPPER: undefined }), 'uncached build');
    baseline = artifactDigests(project);
    expectSuccess(await sandbox.cargo(project, ['clean']), 'cargo clean');
    expectSuccess(await sandbox.cargo(project, ['build']), 'cold build through hoard');
    expectSuccess(await sandbox.cargo(project, ['clean']), 'cargo clean');
    // Two full builds of the ~55 crates: past the project's 240 s on a busy 2-core machine.
  }, 600_000);

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('compiles nothing on a warm build after cargo clean, and its artifacts are those of an uncached build', async () => {
    const before = (await sandbox.stats()).counters;
    expectSuccess(await sandbox.cargo(project, ['build']), 'warm build');
    const after = (await sandbox.stats()).counters;
    expect(after.misses - before.misses).toBe(0);
    expect(sumOf(after.errors)).toBe(0);
    // The one call left uncached is anyhow's build script probing rustc (metadata only, no dep-info):
    // it must run, because the probe's answer is what the build script reads.
    const uncached = Object.fromEntries(
      Object.entries(after.notCacheable)
        .map(([reason, count]) => [reason, count - (before.notCacheable[reason] ?? 0)])
        .filter(([, count]) => count !== 0),
    );
    expect(uncached).toEqual({ 'missing-dep-info': 1 });
    const compiles = after.requests - before.requests - (after.notCompilation - before.notCompilation);
    expect(after.hits - before.hits).toBe(compiles - 1);
    expect(delta(after, before, 'rust proc-macro', 'hits')).toBeGreaterThanOrEqual(3);
    expect(delta(after, before, 'rust build script', 'hits')).toBeGreaterThanOrEqual(5);
    expect(delta(after, before, 'rust binary', 'hits')).toBe(1);
    // Restored proc-macros loaded (the dependents compiled against them before), restored build scripts
    // ran and wrote the same OUT_DIR files, and the binary is the uncached build's, byte for byte.
    expect(artifactDigests(project)).toEqual(baseline);
    const run = await execa(join(project, 'target', 'debug', 'bench-app'), ['--count', '3'], { reject: false });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/mean/);
  });

  it('misses when the binary gets another -C link-arg, and hits when it comes back', async () => {
    const linkArg = ['rustc', '--bin', 'bench-app', '--', '-C', 'link-arg=-Wl,-O1'];
    const before = (await sandbox.stats()).counters;
    expectSuccess(await sandbox.cargo(project, linkArg), 'build with a link-arg');
    const changed = (await sandbox.stats()).counters;
    expect(delta(changed, before, 'rust binary', 'misses')).toBe(1);
    expectSuccess(await sandbox.cargo(project, ['clean', '-p', 'bench-app']), 'clean the binary');
    expectSuccess(await sandbox.cargo(project, linkArg), 'the same link-arg again');
    const again = (await sandbox.stats()).counters;
    expect(delta(again, changed, 'rust binary', 'hits')).toBe(1);
    expect(delta(again, changed, 'rust binary', 'misses')).toBe(0);
  });

  it('misses when the binary is linked by another linker', async () => {
    // A linker of its own: a driver that hands over to cc, so it links the same, but it is another file.
    const linker = join(sandbox.root, 'my-linker');
    writeFileSync(linker, '#!/bin/sh\nexec cc "$@"\n');
    chmodSync(linker, 0o755);
    const before = (await sandbox.stats()).counters;
    expectSuccess(
      await sandbox.cargo(project, ['rustc', '--bin', 'bench-app', '--', '-C', `linker=${linker}`]),
      'build with another linker',
    );
    const after = (await sandbox.stats()).counters;
    expect(delta(after, before, 'rust binary', 'misses')).toBe(1);
    expect((await execa(join(project, 'target', 'debug', 'bench-app'), ['--count', '1'])).exitCode).toBe(0);
  });

  it('caches no kind that linked_crates leaves out', async () => {
    expectSuccess(await sandbox.cargo(project, ['clean']), 'cargo clean');
    const before = (await sandbox.stats()).counters;
    // The server reads environment overrides when it starts: stop it, so that the build's first
    // wrapper starts one with HOARD_LINKED_CRATES.
    expectSuccess(await sandbox.hoard(['server', 'stop']), 'stop the server');
    expectSuccess(
      await sandbox.cargo(project, ['build'], { HOARD_LINKED_CRATES: 'proc-macro' }),
      'build with only proc-macros linked',
    );
    const after = (await sandbox.stats()).counters;
    expect(delta(after, before, 'rust proc-macro', 'hits')).toBeGreaterThanOrEqual(3);
    expect(delta(after, before, 'rust binary', 'hits')).toBe(0);
    expect(delta(after, before, 'rust build script', 'hits')).toBe(0);
    expect(
      (after.notCacheable['linked-crate-off'] ?? 0) - (before.notCacheable['linked-crate-off'] ?? 0),
    ).toBeGreaterThanOrEqual(6);
    expectSuccess(await sandbox.hoard(['server', 'stop']), 'stop the server');
  });
});
