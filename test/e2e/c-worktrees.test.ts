import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Counters } from '../../src/stats/counters.js';
import { sumOf } from '../../src/stats/counters.js';
import {
  createSandbox,
  expectSuccess,
  HOARD,
  toolsSkipReason,
  waitForPreprocessedKeys,
  type CommandResult,
  type Sandbox,
} from './harness.js';

const missingTools = toolsSkipReason('C projects in two worktrees', ['git', 'make', 'gcc']);

/** basedirs = auto: the root of each compile's worktree is left out of its key and its object. */
const AUTO = { HOARD_BASEDIRS: 'auto' };

async function git(cwd: string, ...args: string[]): Promise<void> {
  await execa('git', ['-c', 'user.name=hoard', '-c', 'user.email=hoard@example.invalid', ...args], { cwd });
}

/** The C project in a repository and a second worktree of it: two checkouts at different paths. */
async function twoCheckouts(sandbox: Sandbox): Promise<[string, string]> {
  const a = sandbox.project('c-project', 'repo');
  const b = join(sandbox.root, 'repo-feature');
  await git(a, 'init', '-q', '-b', 'main');
  await git(a, 'add', '.');
  await git(a, 'commit', '-q', '-m', 'fixture');
  await git(a, 'worktree', 'add', '-q', '-b', 'feature', b);
  return [a, b];
}

/** Builds with sources named by absolute path, as CMake does: then the dependency files name the checkout. */
function make(
  sandbox: Sandbox,
  cwd: string,
  args: string[],
  cc: string,
  extraEnv: Record<string, string> = {},
): Promise<CommandResult> {
  return execa('make', ['-s', `CC=${cc}`, 'SRCDIR=$(CURDIR)/', ...args], {
    cwd,
    env: { ...sandbox.env, ...extraEnv },
    extendEnv: false,
    reject: false,
  }).then((result) => ({
    exitCode: result.exitCode ?? 1,
    stdout: result.stdout,
    stderr: result.stderr,
  }));
}

/**
 * Objects by digest, dependency files by their rules: the compiler breaks a dependency file's lines by
 * length, so one restored from a checkout whose path is shorter breaks them elsewhere.
 */
function outputs(dir: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const name of readdirSync(dir)
    .filter((entry) => /\.(o|d)$/.test(entry))
    .sort()) {
    const bytes = readFileSync(join(dir, name));
    found.set(
      name,
      name.endsWith('.d')
        ? bytes.toString('utf8').replace(/\s*\\\n\s*/g, ' ')
        : createHash('sha256').update(bytes).digest('hex'),
    );
  }
  return found;
}

function delta(after: Counters, before: Counters, outcome: 'hits' | 'misses'): number {
  return (after.byKind.c?.[outcome] ?? 0) - (before.byKind.c?.[outcome] ?? 0);
}

describe.skipIf(missingTools)('a C project in two worktrees with basedirs = auto', () => {
  let sandbox: Sandbox;
  let a: string;
  let b: string;

  beforeAll(async () => {
    sandbox = createSandbox();
    [a, b] = await twoCheckouts(sandbox);
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('hits on every object in the second worktree, with dependency files naming its own files', async () => {
    expectSuccess(await make(sandbox, a, [], `${HOARD} gcc`, AUTO), 'make in A');
    const afterA = (await sandbox.stats()).counters;
    expect(afterA.byKind.c?.misses).toBe(3);
    expectSuccess(await make(sandbox, b, [], `${HOARD} gcc`, AUTO), 'make in B');
    const afterB = (await sandbox.stats()).counters;
    expect(delta(afterB, afterA, 'hits')).toBe(3);
    expect(delta(afterB, afterA, 'misses')).toBe(0);
    expect(sumOf(afterB.errors)).toBe(0);
    const depFile = readFileSync(join(b, 'main.d'), 'utf8');
    expect(depFile).toContain(`${b}/shapes.h`);
    expect(depFile).not.toContain(`${a}/`);
    expect((await execa(join(b, 'demo'))).stdout).toBe('green 12 4');
  });

  it('restores in B the objects an uncached gcc with the same path mapping builds there, byte for byte', async () => {
    const restored = outputs(b);
    expect(restored.size).toBe(6);
    expectSuccess(await make(sandbox, b, ['clean'], 'gcc'), 'make clean in B');
    expectSuccess(await make(sandbox, b, [], `gcc -ffile-prefix-map=${b}=.`), 'uncached make in B');
    expect(outputs(b)).toEqual(restored);
  });

  it('hits in B through the preprocessed output stored from A when B edits a header only in a comment', async () => {
    await waitForPreprocessedKeys(sandbox);
    const uncached = outputs(b);
    const header = join(b, 'shapes.h');
    writeFileSync(header, readFileSync(header, 'utf8').replace('#define SIDES 4', '#define SIDES 4 /* a square */'));
    expectSuccess(await make(sandbox, b, ['clean'], 'gcc'), 'make clean in B');
    const before = (await sandbox.stats()).counters;
    expectSuccess(await make(sandbox, b, [], `${HOARD} gcc`, AUTO), 'make in B after a comment edit');
    const after = (await sandbox.stats()).counters;
    expect(delta(after, before, 'hits')).toBe(3);
    expect(delta(after, before, 'misses')).toBe(0);
    expect(outputs(b)).toEqual(uncached);
    expect(readFileSync(join(b, 'shapes.d'), 'utf8')).not.toContain(`${a}/`);
  });
});

describe.skipIf(missingTools)('a C project in two checkouts without base directories', () => {
  let sandbox: Sandbox;

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('misses in the second checkout: objects name their checkout, nothing is shared by default', async () => {
    sandbox = createSandbox();
    const [a, b] = await twoCheckouts(sandbox);
    expectSuccess(await make(sandbox, a, [], `${HOARD} gcc`), 'make in A');
    const afterA = (await sandbox.stats()).counters;
    expectSuccess(await make(sandbox, b, [], `${HOARD} gcc`), 'make in B');
    const afterB = (await sandbox.stats()).counters;
    expect(delta(afterB, afterA, 'misses')).toBe(3);
    expect(delta(afterB, afterA, 'hits')).toBe(0);
  });
});
