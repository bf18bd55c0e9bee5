import { appendFileSync, chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Difference } from '../../src/why/differences.js';
import { BUILD_GAP_MS } from '../../src/why/history.js';
import type { CompileView, LastBuildView, UnitView } from '../../src/why/report.js';
import {
  createSandbox,
  expectSuccess,
  HOARD,
  requireBuiltAndInstalled,
  type CommandResult,
  type Sandbox,
} from './harness.js';

async function git(cwd: string, ...args: string[]): Promise<void> {
  await execa('git', ['-c', 'user.name=hoard', '-c', 'user.email=hoard@example.invalid', ...args], { cwd });
}

async function commitAll(dir: string): Promise<void> {
  await git(dir, 'init', '-q', '-b', 'main');
  await git(dir, 'add', '.');
  await git(dir, 'commit', '-q', '-m', 'fixture');
}

/** The server tells builds apart by a pause between compiles: what `hoard why` without an argument reads as "the last build". */
function pauseBetweenBuilds(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, BUILD_GAP_MS + 500));
}

async function whyJson<T>(sandbox: Sandbox, args: string[]): Promise<T> {
  const result = await sandbox.hoard(['why', ...args, '--json']);
  expectSuccess(result, `hoard why ${args.join(' ')} --json`);
  return JSON.parse(result.stdout) as T;
}

/** The newest compile of the crate (or source) named. */
async function latest(sandbox: Sandbox, name: string, worktree?: string): Promise<CompileView> {
  const { units } = await whyJson<{ units: UnitView[] }>(sandbox, [
    name,
    ...(worktree ? ['--worktree', worktree] : []),
  ]);
  expect(units.length, `units named ${name}`).toBeGreaterThan(0);
  return units[0]!.compiles[0]!;
}

/** Asserts a miss explained by exactly one difference, and returns it. */
function onlyDifference(compile: CompileView): Difference {
  expect(compile.outcome).toBe('miss');
  expect(compile.differences, JSON.stringify(compile.differences)).toHaveLength(1);
  return compile.differences![0]!;
}

describe('hoard why on cargo builds, one change at a time', () => {
  let sandbox: Sandbox;
  let project: string;
  const build = (extraEnv?: Record<string, string | undefined>, args: string[] = []): Promise<CommandResult> =>
    sandbox.cargo(project, ['build', ...args], extraEnv);

  beforeAll(async () => {
    requireBuiltAndInstalled('workspace');
    sandbox = createSandbox();
    project = sandbox.project('workspace', 'repo');
    // A feature to turn on, and a value read with option_env!, in wt-util.
    appendFileSync(join(project, 'wt-util', 'Cargo.toml'), '\n[features]\nextra = []\n');
    appendFileSync(
      join(project, 'wt-util', 'src', 'lib.rs'),
      '\npub const WHY_VALUE: Option<&str> = option_env!("WHY_TEST_VALUE");\n',
    );
    await commitAll(project);
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('explains every miss of a first build as a first build', async () => {
    expectSuccess(await build(), 'first build');
    const last = await whyJson<LastBuildView>(sandbox, []);
    expect(last.misses).toBeGreaterThanOrEqual(8);
    expect(last.byCause.map((group) => group.cause)).toEqual(['first-build']);
    expect((await sandbox.stats()).counters.missCauses).toEqual({ 'first-build': last.misses });
  });

  it('explains zero misses in a build after cargo clean', async () => {
    expectSuccess(await sandbox.cargo(project, ['clean']), 'cargo clean');
    await pauseBetweenBuilds();
    expectSuccess(await build(), 'build after clean');
    const last = await whyJson<LastBuildView>(sandbox, []);
    expect(last.misses).toBe(0);
    expect(last.hits).toBeGreaterThanOrEqual(8);
    expect(last.byCause).toEqual([]);
    const text = await sandbox.hoard(['why']);
    expect(text.stdout).toContain(`${last.hits} hits, 0 misses`);
  });

  it('names the source file that was edited', async () => {
    appendFileSync(join(project, 'wt-util', 'src', 'lib.rs'), '\npub fn why_edited() {}\n');
    expectSuccess(await build(), 'build after an edit');
    expect(onlyDifference(await latest(sandbox, 'wt_util'))).toMatchObject({
      cause: 'sources',
      input: 'source',
      name: 'wt-util/src/lib.rs',
    });
  });

  it('names a feature turned on', async () => {
    expectSuccess(await build({}, ['--features', 'wt-util/extra']), 'build with a feature');
    expect(onlyDifference(await latest(sandbox, 'wt_util'))).toMatchObject({
      cause: 'features',
      input: 'feature',
      name: 'extra',
      old: 'off',
      new: 'on',
    });
  });

  it('names the flag RUSTFLAGS added, in workspace and registry crates alike', async () => {
    expectSuccess(await build({ RUSTFLAGS: '--cfg why_flag' }), 'build with RUSTFLAGS');
    for (const crate of ['wt_core', 'itoa']) {
      expect(onlyDifference(await latest(sandbox, crate))).toMatchObject({
        cause: 'arguments',
        input: 'argument',
        old: null,
        new: '--cfg=why_flag',
      });
    }
    const text = await sandbox.hoard(['why', 'itoa']);
    expect(text.stdout).toContain('argument --cfg=why_flag added');
  });

  it('names an env! variable whose value changed', async () => {
    expectSuccess(await build({ WHY_TEST_VALUE: 'one' }), 'build with one value');
    expectSuccess(await build({ WHY_TEST_VALUE: 'two' }), 'build with another');
    expect(onlyDifference(await latest(sandbox, 'wt_util'))).toMatchObject({
      cause: 'environment',
      input: 'env-dep',
      name: 'WHY_TEST_VALUE',
      old: 'one',
      new: 'two',
    });
  });

  it("names a dependency's source in the dependency, and its --extern in the crate that uses it", async () => {
    appendFileSync(join(project, 'wt-core', 'src', 'lib.rs'), '\npub fn why_core_edited() {}\n');
    expectSuccess(await build({ WHY_TEST_VALUE: 'two' }), 'build after editing wt-core');
    expect(onlyDifference(await latest(sandbox, 'wt_core'))).toMatchObject({
      cause: 'sources',
      input: 'source',
      name: 'wt-core/src/lib.rs',
    });
    expect(onlyDifference(await latest(sandbox, 'wt_util'))).toMatchObject({
      cause: 'dependencies',
      input: 'extern',
      name: 'wt_core',
    });
  });

  it('names the compiler when another toolchain builds', async () => {
    // Another rustc: the same compiler behind a script that names itself differently in `rustc -vV`.
    const other = join(sandbox.root, 'other-rustc');
    writeFileSync(
      other,
      '#!/bin/sh\nif [ "$1" = "-vV" ]; then rustc -vV | sed "s/^binary: rustc$/binary: other-rustc/"; exit; fi\nexec rustc "$@"\n',
    );
    chmodSync(other, 0o755);
    expectSuccess(await build({ WHY_TEST_VALUE: 'two', RUSTC: other }), 'build with another rustc');
    for (const crate of ['wt_core', 'memchr']) {
      const difference = onlyDifference(await latest(sandbox, crate));
      expect(difference).toMatchObject({ cause: 'toolchain', input: 'compiler' });
      expect(difference.new).toContain(other);
    }
  });
});

describe('hoard why after the server stopped', () => {
  let sandbox: Sandbox;

  beforeAll(() => {
    sandbox = createSandbox();
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('reads the history the server saved, and the next server goes on from it', async () => {
    const project = sandbox.project('workspace', 'saved');
    await commitAll(project);
    expectSuccess(await sandbox.cargo(project, ['build']), 'first build');
    expectSuccess(await sandbox.hoard(['server', 'stop']), 'hoard server stop');
    expect(await latest(sandbox, 'wt_core')).toMatchObject({ outcome: 'miss', cause: 'first-build' });
    appendFileSync(join(project, 'wt-core', 'src', 'lib.rs'), '\npub fn after_restart() {}\n');
    expectSuccess(await sandbox.cargo(project, ['build']), 'build with a new server');
    expect(onlyDifference(await latest(sandbox, 'wt_core'))).toMatchObject({
      input: 'source',
      name: 'wt-core/src/lib.rs',
    });
  });
});

describe('hoard why on a C project', () => {
  let sandbox: Sandbox;
  let project: string;
  const make = async (): Promise<CommandResult> => {
    const result = await execa('make', ['-s', `CC=${HOARD} gcc`], {
      cwd: project,
      env: sandbox.env,
      extendEnv: false,
      reject: false,
    });
    return { exitCode: result.exitCode ?? 1, stdout: result.stdout, stderr: result.stderr };
  };

  beforeAll(() => {
    sandbox = createSandbox();
    project = sandbox.project('c-project');
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('names the header that was edited', async () => {
    expectSuccess(await make(), 'first make');
    const header = join(project, 'colors.h');
    writeFileSync(header, readFileSync(header, 'utf8').replace('#endif', 'int why_added(void);\n#endif'));
    expectSuccess(await make(), 'make after editing the header');
    for (const source of ['colors.c', 'main.c']) {
      expect(onlyDifference(await latest(sandbox, source))).toMatchObject({
        cause: 'sources',
        input: 'source',
        name: 'colors.h',
      });
    }
  });
});

describe('hoard why across checkouts', () => {
  let sandbox: Sandbox;

  beforeAll(() => {
    sandbox = createSandbox();
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('names the checkout path of a project built elsewhere without base directories, with the hint to set them', async () => {
    const first = sandbox.project('workspace', 'first');
    const second = sandbox.project('workspace', 'second');
    await commitAll(first);
    await commitAll(second);
    expectSuccess(await sandbox.cargo(first, ['build']), 'build in the first checkout');
    await pauseBetweenBuilds();
    expectSuccess(await sandbox.cargo(second, ['build']), 'build in the second checkout');
    const difference = onlyDifference(await latest(sandbox, 'wt_core', second));
    expect(difference).toMatchObject({ cause: 'location', input: 'checkout', old: first, new: second });
    expect((await latest(sandbox, 'wt_core', second)).baseDirsWouldHit).toBe(true);
    const last = await whyJson<LastBuildView>(sandbox, ['--worktree', second]);
    // The workspace's own crates miss (registry crates hit): every one only for the path.
    expect(last.misses).toBeGreaterThanOrEqual(4);
    expect(last.baseDirsWouldHit).toBe(last.misses);
    const text = await sandbox.hoard(['why', '--worktree', second]);
    expect(text.stdout).toContain('hoard config set basedirs auto');
    expect((await sandbox.stats()).counters.baseDirsWouldHit).toBe(last.misses);
  });
});

describe('after hoard init in a fresh HOME', () => {
  let sandbox: Sandbox;
  let home: string;

  beforeAll(() => {
    requireBuiltAndInstalled('workspace');
    sandbox = createSandbox();
    home = join(sandbox.root, 'home');
    mkdirSync(home);
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('a second worktree of a workspace hits on every compile, members included', async () => {
    // rustup's toolchains stay where they are; cargo's own config (which hoard init writes) moves with HOME.
    const env = {
      HOME: home,
      CARGO_HOME: join(home, '.cargo'),
      RUSTUP_HOME: process.env.RUSTUP_HOME ?? join(homedir(), '.rustup'),
    };
    const init = await sandbox.hoard(['init'], env);
    expectSuccess(init, 'hoard init');
    expect(init.stdout).toContain('basedirs');
    const a = sandbox.project('workspace', 'repo');
    const b = join(sandbox.root, 'repo-second');
    await commitAll(a);
    await git(a, 'worktree', 'add', '-q', '-b', 'second', b);
    // cargo goes through hoard by the config hoard init wrote, not by the sandbox's RUSTC_WRAPPER.
    expectSuccess(await sandbox.cargo(a, ['build'], { ...env, RUSTC_WRAPPER: undefined }), 'build in A');
    const afterA = (await sandbox.stats()).counters;
    expect(afterA.misses).toBeGreaterThanOrEqual(8);
    expectSuccess(await sandbox.cargo(b, ['build'], { ...env, RUSTC_WRAPPER: undefined }), 'build in B');
    const afterB = (await sandbox.stats()).counters;
    expect(afterB.misses - afterA.misses).toBe(0);
    expect(afterB.hits - afterA.hits).toBe(afterA.misses);
  });
});

describe('typenum: paths in OUT_DIR handed to the crate through cargo:rustc-env', () => {
  let sandbox: Sandbox;

  beforeAll(() => {
    requireBuiltAndInstalled('sha2-workspace');
    sandbox = createSandbox();
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('a second worktree hits typenum and everything above it (sha2 0.10, basedirs auto)', async () => {
    const auto = { HOARD_BASEDIRS: 'auto' };
    const a = sandbox.project('sha2-workspace', 'repo');
    const b = join(sandbox.root, 'repo-b');
    await commitAll(a);
    await git(a, 'worktree', 'add', '-q', '-b', 'b', b);
    expectSuccess(await sandbox.cargo(a, ['build'], auto), 'build in A');
    const afterA = (await sandbox.stats()).counters;
    expect(afterA.misses).toBeGreaterThanOrEqual(10);
    expectSuccess(await sandbox.cargo(b, ['build'], auto), 'build in B');
    const afterB = (await sandbox.stats()).counters;
    expect(afterB.misses - afterA.misses).toBe(0);
    expect(afterB.hits - afterA.hits).toBe(afterA.misses);
    for (const crate of ['typenum', 'generic_array', 'sha2', 'digest_core', 'digest_app'])
      expect((await latest(sandbox, crate, b)).outcome).toBe('hit');
    const run = await execa(join(b, 'target', 'debug', 'digest-app'));
    expect(run.stdout).toBe('sha256(abc) = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
