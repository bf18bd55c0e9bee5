// C and C++ builds driven the ways C projects are built: an autotools-style ./configure with probes
// and make, CMake through its compiler launcher (gcc and clang), and -D/-I variations of one compile;
// plus `hoard doctor` in a set-up that caches only C. Each compares with a build without hoard.
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Counters } from '../../src/stats/counters.js';
import { sumOf } from '../../src/stats/counters.js';
import {
  createSandbox,
  digestsOf,
  expectSuccess,
  HOARD,
  waitForPreprocessedKeys,
  type CommandResult,
  type Sandbox,
} from './harness.js';

function delta(after: Counters, before: Counters, kind: string, outcome: 'hits' | 'misses'): number {
  return (after.byKind[kind]?.[outcome] ?? 0) - (before.byKind[kind]?.[outcome] ?? 0);
}

async function run(command: string, args: string[], cwd: string, env: Record<string, string>): Promise<CommandResult> {
  const result = await execa(command, args, { cwd, env, extendEnv: false, reject: false, stdin: 'ignore' });
  return { exitCode: result.exitCode ?? 1, stdout: result.stdout, stderr: result.stderr };
}

/** A store finishes after the wrapper has its answer: waits until the cache holds `entries` entries. */
async function waitForEntries(sandbox: Sandbox, entries: number): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if ((await sandbox.stats()).cache.entries >= entries) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the cache never held ${entries} entries`);
}

describe('an autotools-style ./configure with probes, then make', () => {
  let sandbox: Sandbox;
  let project: string;
  let baseline: Map<string, string>;
  let baselineConfig: string;

  beforeAll(async () => {
    sandbox = createSandbox();
    project = sandbox.project('c-configure');
    expectSuccess(await run('./configure', [], project, { ...sandbox.env, CC: 'gcc' }), 'plain ./configure');
    baselineConfig = readFileSync(join(project, 'config.h'), 'utf8');
    expectSuccess(await run('make', ['-s'], project, sandbox.env), 'plain make');
    baseline = digestsOf(project, /\.o$|^report$/);
    expectSuccess(await run('make', ['-s', 'clean'], project, sandbox.env), 'make clean');
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('runs every probe uncached as a probe, stores none of them, and finds what a plain ./configure finds', async () => {
    const result = await run('./configure', [], project, { ...sandbox.env, CC: `${HOARD} gcc` });
    expectSuccess(result, './configure through hoard');
    expect(result.stdout).toContain('checking for a header nobody has... no');
    expect(readFileSync(join(project, 'config.h'), 'utf8')).toBe(baselineConfig);
    expect(baselineConfig).toContain('HAVE_STDINT_H');
    const { counters, cache } = await sandbox.stats();
    expect(counters.notCacheable.probe).toBe(5);
    expect(counters.misses).toBe(0);
    expect(cache.entries).toBe(0);
    expect(existsSync(join(project, 'conftest.dir'))).toBe(false);
  });

  it('caches the build that follows: misses, then hits after make clean, objects identical to a plain build', async () => {
    const before = (await sandbox.stats()).counters;
    expectSuccess(await run('make', ['-s'], project, sandbox.env), 'cold make');
    const cold = (await sandbox.stats()).counters;
    expect(delta(cold, before, 'c', 'misses')).toBe(2);
    expect(digestsOf(project, /\.o$|^report$/)).toEqual(baseline);
    await waitForEntries(sandbox, 2);
    expectSuccess(await run('make', ['-s', 'clean'], project, sandbox.env), 'make clean');
    expectSuccess(await run('make', ['-s'], project, sandbox.env), 'warm make');
    const warm = (await sandbox.stats()).counters;
    expect(delta(warm, cold, 'c', 'hits')).toBe(2);
    expect(delta(warm, cold, 'c', 'misses')).toBe(0);
    expect(sumOf(warm.errors)).toBe(0);
    expect(digestsOf(project, /\.o$|^report$/)).toEqual(baseline);
    expect((await run(join(project, 'report'), [], project, sandbox.env)).stdout).toMatch(/^\d+$/);
  });
});

describe.each(['gcc', 'clang'])(
  'an automake-style build with %s: dependency files in .deps (-MT x.o -MD -MP -MF .deps/x.Tpo)',
  (cc) => {
    let sandbox: Sandbox;
    let project: string;
    let baseline: Map<string, string>;
    const outputs = () =>
      new Map([...digestsOf(project, /\.o$|^demo$/), ...digestsOf(join(project, '.deps'), /\.Po$/)]);
    const make = (args: string[], compiler: string) =>
      run('make', ['-s', `CC=${compiler}`, ...args], project, sandbox.env);

    beforeAll(async () => {
      sandbox = createSandbox();
      project = sandbox.project('c-automake');
      expectSuccess(await make([], cc), 'plain make');
      baseline = outputs();
      expect(baseline.size).toBe(7);
      expectSuccess(await make(['clean'], cc), 'make clean');
    });

    afterAll(async () => {
      await sandbox?.dispose();
    });

    it('misses without running the preprocessor, then hits directly after make clean, objects and .Po files those of a plain build', async () => {
      const before = (await sandbox.stats()).counters;
      expectSuccess(await make([], `${HOARD} ${cc}`), 'cold make');
      const cold = (await sandbox.stats()).counters;
      expect(delta(cold, before, 'c', 'misses')).toBe(3);
      // Depend mode: the headers of a new compile come from the dependency file it writes, and no
      // preprocessor runs before or after the compile (only once requests pause, to file its preprocessed key).
      expect(cold.ccPreprocessor['depend-mode']).toBe(3);
      expect(cold.ccPreprocessor['before-compile']).toBeUndefined();
      expect(outputs()).toEqual(baseline);
      await waitForEntries(sandbox, 3);
      expectSuccess(await make(['clean'], cc), 'make clean');
      expectSuccess(await make([], `${HOARD} ${cc}`), 'warm make');
      const warm = (await sandbox.stats()).counters;
      expect(delta(warm, cold, 'c', 'hits')).toBe(3);
      expect(delta(warm, cold, 'c', 'misses')).toBe(0);
      // Direct hits: the entry holds .deps/x.Tpo and writes it where the command names it, no preprocessor run.
      expect(warm.ccPreprocessor['before-compile']).toBeUndefined();
      expect(warm.ccPreprocessor['depend-mode']).toBe(3);
      expect(sumOf(warm.errors)).toBe(0);
      expect(outputs()).toEqual(baseline);
      expect((await run(join(project, 'demo'), [], project, sandbox.env)).stdout).toBe('green 12 4');
    });
  },
);

const hasCmake = existsSync('/usr/bin/cmake');

describe.skipIf(!hasCmake).each([
  ['gcc', 'g++'],
  ['clang', 'clang++'],
])('a CMake project built through -DCMAKE_C_COMPILER_LAUNCHER=hoard with %s', (cc, cxx) => {
  let sandbox: Sandbox;
  let project: string;
  let build: string;
  const objects = () => digestsOf(build, /\.o$|^shapes$/);
  const configure = (launcher: boolean) =>
    run(
      'cmake',
      [
        '-S',
        project,
        '-B',
        build,
        '-DCMAKE_BUILD_TYPE=Release',
        `-DCMAKE_C_COMPILER=${cc}`,
        `-DCMAKE_CXX_COMPILER=${cxx}`,
        ...(launcher ? [`-DCMAKE_C_COMPILER_LAUNCHER=${HOARD}`, `-DCMAKE_CXX_COMPILER_LAUNCHER=${HOARD}`] : []),
      ],
      project,
      sandbox.env,
    );

  beforeAll(() => {
    sandbox = createSandbox();
    project = sandbox.project('c-cmake');
    build = join(project, 'build');
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('misses once per object, hits after a clean, and builds what a plain build does', async () => {
    expectSuccess(await configure(false), 'plain cmake');
    expectSuccess(await run('cmake', ['--build', build], project, sandbox.env), 'plain build');
    const baseline = objects();
    expect(baseline.size).toBe(4);
    rmSync(build, { recursive: true, force: true });

    expectSuccess(await configure(true), 'cmake with the launcher');
    const configured = (await sandbox.stats()).counters;
    expectSuccess(await run('cmake', ['--build', build], project, sandbox.env), 'cold build');
    const cold = (await sandbox.stats()).counters;
    expect(delta(cold, configured, 'c', 'misses')).toBe(2);
    expect(delta(cold, configured, 'c++', 'misses')).toBe(1);
    expect(objects()).toEqual(baseline);
    await waitForEntries(sandbox, 3);

    expectSuccess(await run('cmake', ['--build', build, '--target', 'clean'], project, sandbox.env), 'clean');
    expectSuccess(await run('cmake', ['--build', build], project, sandbox.env), 'warm build');
    const warm = (await sandbox.stats()).counters;
    expect(delta(warm, cold, 'c', 'hits')).toBe(2);
    expect(delta(warm, cold, 'c++', 'hits')).toBe(1);
    expect(delta(warm, cold, 'c', 'misses') + delta(warm, cold, 'c++', 'misses')).toBe(0);
    expect(sumOf(warm.errors)).toBe(0);
    expect(objects()).toEqual(baseline);
    expect((await run(join(build, 'shapes'), [], project, sandbox.env)).stdout).toBe('12 14');
  });
});

describe('preprocessor options in the preprocessed key (-D, -I)', () => {
  let sandbox: Sandbox;
  let project: string;

  beforeAll(() => {
    sandbox = createSandbox();
    project = sandbox.project('c-defines');
    cpSync(join(project, 'include'), join(project, 'copy', 'include'), { recursive: true });
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  /** Compiles through hoard and plainly (to another object): returns whether it hit, and checks both objects agree. */
  async function compile(args: string[]): Promise<'hit' | 'miss'> {
    const { counters: before, cache } = await sandbox.stats();
    expectSuccess(
      await run(HOARD, ['gcc', ...args, '-c', 'scale.c', '-o', 'scale.o'], project, sandbox.env),
      `hoard gcc ${args.join(' ')}`,
    );
    expectSuccess(
      await run('gcc', [...args, '-c', 'scale.c', '-o', 'plain.o'], project, sandbox.env),
      `gcc ${args.join(' ')}`,
    );
    expect(
      readFileSync(join(project, 'scale.o')).equals(readFileSync(join(project, 'plain.o'))),
      `the object of ${args.join(' ')}`,
    ).toBe(true);
    const after = (await sandbox.stats()).counters;
    const outcome = delta(after, before, 'c', 'hits') === 1 ? 'hit' : 'miss';
    if (outcome === 'miss') {
      expect(delta(after, before, 'c', 'misses')).toBe(1);
      await waitForEntries(sandbox, cache.entries + 1);
      await waitForPreprocessedKeys(sandbox);
    }
    return outcome;
  }

  it('hits with an unused -D, misses with a -D that changes the code, hits with -I naming a copy of the same headers', async () => {
    expect(await compile(['-O2', '-Iinclude', '-DUNUSED_ONE'])).toBe('miss');
    expect(await compile(['-O2', '-Iinclude', '-DUNUSED_TWO'])).toBe('hit');
    expect(await compile(['-O2', '-Iinclude', '-UUNUSED_THREE'])).toBe('hit');
    expect(await compile(['-O2', '-Iinclude', '-DFACTOR=3'])).toBe('miss');
    expect(await compile(['-O2', '-Icopy/include'])).toBe('hit');
    expect(await compile(['-O2', '-I', 'copy/include', '-DUNUSED_FOUR'])).toBe('hit');
  });

  it('writes the dependency file this compile would write when -I names a copy of the headers, on that hit and on the next', async () => {
    const depsOf = async (include: string): Promise<{ outcome: 'hit' | 'miss'; restored: string; plain: string }> => {
      const { counters: before, cache } = await sandbox.stats();
      const args = ['-O2', `-I${include}`, '-MD', '-MT', 'scale.o'];
      expectSuccess(
        await run(HOARD, ['gcc', ...args, '-MF', 'scale.d', '-c', 'scale.c', '-o', 'scale.o'], project, sandbox.env),
        `hoard gcc -I${include} -MD`,
      );
      expectSuccess(
        await run('gcc', [...args, '-MF', 'plain.d', '-c', 'scale.c', '-o', 'plain.o'], project, sandbox.env),
        `gcc -I${include} -MD`,
      );
      const outcome = delta((await sandbox.stats()).counters, before, 'c', 'hits') === 1 ? 'hit' : 'miss';
      if (outcome === 'miss') {
        await waitForEntries(sandbox, cache.entries + 1);
        await waitForPreprocessedKeys(sandbox);
      }
      return {
        outcome,
        restored: readFileSync(join(project, 'scale.d'), 'utf8'),
        plain: readFileSync(join(project, 'plain.d'), 'utf8'),
      };
    };
    const first = await depsOf('include');
    expect(first.outcome).toBe('miss');
    expect(first.restored).toBe(first.plain);
    for (let round = 0; round < 2; round += 1) {
      const copy = await depsOf('copy/include');
      expect(copy.outcome).toBe('hit');
      expect(copy.restored).toContain('copy/include/');
      expect(copy.restored).toBe(copy.plain);
    }
  });

  it('with debug information, where header paths are in the object, an unused -D hits and a copy of the headers misses', async () => {
    expect(await compile(['-O2', '-g', '-Iinclude', '-DUNUSED_ONE'])).toBe('miss');
    expect(await compile(['-O2', '-g', '-Iinclude', '-DUNUSED_TWO'])).toBe('hit');
    expect(await compile(['-O2', '-g', '-Icopy/include'])).toBe('miss');
  });
});

describe('hoard doctor where only C goes through hoard', () => {
  let sandbox: Sandbox;

  beforeAll(() => {
    sandbox = createSandbox();
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('says cargo is not used here, finds CC and CXX, and exits 0', async () => {
    const project = sandbox.project('c-defines');
    const env: Record<string, string> = {
      ...sandbox.env,
      HOME: sandbox.root,
      CARGO_HOME: join(sandbox.root, 'cargo'),
      CC: `${HOARD} gcc`,
      CXX: `${HOARD} g++`,
    };
    delete env.RUSTC_WRAPPER;
    delete env.CARGO_INCREMENTAL;
    expectSuccess(
      await run(HOARD, ['gcc', '-c', 'scale.c', '-Iinclude'], project, env),
      'a compile, so the server has statistics',
    );
    const result = await run(HOARD, ['doctor'], project, env);
    expect(result.stdout).toMatch(/^info +wrapper +not used here/m);
    expect(result.stdout).toMatch(/^info +incremental +not used here/m);
    expect(result.stdout).toMatch(/^ok +cc +CC=.*hoard gcc.*CXX=.*hoard g\+\+/m);
    expect(result.stdout).toMatch(/^info +cmake +not used here/m);
    expect(result.stdout).toContain('All good.');
    expect(result.exitCode).toBe(0);
  });
});
