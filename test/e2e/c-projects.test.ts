import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  fixtureSkipReason,
  requireBuiltAndInstalled,
  toolsSkipReason,
  waitForPreprocessedKeys,
  type CommandResult,
  type Sandbox,
} from './harness.js';

function delta(after: Counters, before: Counters, kind: string, outcome: 'hits' | 'misses' | 'requests'): number {
  return (after.byKind[kind]?.[outcome] ?? 0) - (before.byKind[kind]?.[outcome] ?? 0);
}

describe.skipIf(toolsSkipReason('the make-driven C project', ['make', 'gcc']))(
  'a make-driven C project built with CC="hoard gcc"',
  () => {
    let sandbox: Sandbox;
    let project: string;
    let baseline: Map<string, string>;
    const make = (args: string[], cc = `${HOARD} gcc`): Promise<CommandResult> =>
      execa('make', ['-s', `CC=${cc}`, ...args], {
        cwd: project,
        env: sandbox.env,
        extendEnv: false,
        reject: false,
      }).then((result) => ({
        exitCode: result.exitCode ?? 1,
        stdout: result.stdout,
        stderr: result.stderr,
      }));

    beforeAll(async () => {
      expect(readdirSync(join(HOARD, '..', '..', 'dist'))).toContain('hoard.cjs');
      sandbox = createSandbox();
      project = sandbox.project('c-project');
      expectSuccess(await make([], 'gcc'), 'uncached make');
      baseline = digestsOf(project, /\.(o|d)$/);
      expectSuccess(await make(['clean']), 'make clean');
    });

    afterAll(async () => {
      await sandbox?.dispose();
    });

    it('misses on the first build, hits on every object after make clean, byte for byte an uncached build', async () => {
      expectSuccess(await make([]), 'cold make');
      const cold = (await sandbox.stats()).counters;
      expect(cold.byKind.c?.misses).toBe(3);
      // The link is a compiler call too, run uncached.
      expect(cold.notCacheable.link).toBe(1);
      expectSuccess(await make(['clean']), 'make clean');
      expectSuccess(await make([]), 'warm make');
      const warm = (await sandbox.stats()).counters;
      expect(delta(warm, cold, 'c', 'hits')).toBe(3);
      expect(delta(warm, cold, 'c', 'misses')).toBe(0);
      expect(sumOf(warm.errors)).toBe(0);
      // Objects and the dependency files make reads (-MMD -MP) are those of the uncached build.
      expect(digestsOf(project, /\.(o|d)$/)).toEqual(baseline);
      expect((await execa(join(project, 'demo'))).stdout).toBe('green 12 4');
    });

    it('misses exactly the objects whose sources include an edited header', async () => {
      const header = join(project, 'shapes.h');
      writeFileSync(header, readFileSync(header, 'utf8').replace('#define SIDES 4', '#define SIDES 8'));
      expectSuccess(await make(['clean']), 'make clean');
      const before = (await sandbox.stats()).counters;
      expectSuccess(await make([]), 'make after editing shapes.h');
      const after = (await sandbox.stats()).counters;
      // main.c and shapes.c include shapes.h; colors.c does not.
      expect(delta(after, before, 'c', 'misses')).toBe(2);
      expect(delta(after, before, 'c', 'hits')).toBe(1);
      expect((await execa(join(project, 'demo'))).stdout).toBe('green 24 8');
    });

    it('hits through the preprocessed output when a header changes only in a comment, byte for byte', async () => {
      await waitForPreprocessedKeys(sandbox);
      const built = digestsOf(project, /\.(o|d)$/);
      const header = join(project, 'shapes.h');
      // The direct key's manifest no longer matches (the header's digest changed); the preprocessed text does.
      writeFileSync(
        header,
        readFileSync(header, 'utf8').replace('#define SIDES 8', '#define SIDES 8 /* sides of a square */'),
      );
      expectSuccess(await make(['clean']), 'make clean');
      const before = (await sandbox.stats()).counters;
      expectSuccess(await make([]), 'make after a comment edit');
      const after = (await sandbox.stats()).counters;
      expect(delta(after, before, 'c', 'hits')).toBe(3);
      expect(delta(after, before, 'c', 'misses')).toBe(0);
      expect(sumOf(after.errors)).toBe(0);
      expect(digestsOf(project, /\.(o|d)$/)).toEqual(built);
      // The preprocessed hit recorded the new header in the direct key's manifest: the next build hits directly.
      expectSuccess(await make(['clean']), 'make clean');
      expectSuccess(await make([]), 'make again');
      expect(delta((await sandbox.stats()).counters, after, 'c', 'hits')).toBe(3);
      expect(digestsOf(project, /\.(o|d)$/)).toEqual(built);
    });

    it('runs what it cannot cache, each with its reason', async () => {
      const before = (await sandbox.stats()).counters;
      expectSuccess(
        await sandbox.hoard(['gcc', '-E', join(project, 'main.c'), '-o', join(project, 'main.i')]),
        'hoard gcc -E',
      );
      expectSuccess(
        await sandbox.hoard(['gcc', '-c', '--coverage', join(project, 'colors.c'), '-o', join(project, 'cov.o')]),
        'hoard gcc --coverage',
      );
      const after = (await sandbox.stats()).counters;
      expect((after.notCacheable.preprocess ?? 0) - (before.notCacheable.preprocess ?? 0)).toBe(1);
      expect((after.notCacheable.profile ?? 0) - (before.notCacheable.profile ?? 0)).toBe(1);
    });

    it('writes the object under the name asked for: a compile to another name is another entry', async () => {
      const compileTo = (name: string) =>
        sandbox.hoard(['gcc', '-c', join(project, 'colors.c'), '-o', join(project, name)]);
      expectSuccess(await compileTo('first.o'), 'compile to first.o');
      const before = (await sandbox.stats()).counters;
      expectSuccess(await compileTo('second.o'), 'compile to second.o');
      const after = (await sandbox.stats()).counters;
      expect(delta(after, before, 'c', 'misses')).toBe(1);
      expect(readFileSync(join(project, 'second.o'))).toEqual(readFileSync(join(project, 'first.o')));
    });

    it('caches a compile whose dependency file goes elsewhere (automake: -MF .deps/x.Tpo), served directly', async () => {
      mkdirSync(join(project, '.deps'), { recursive: true });
      const outputs = [join(project, 'colors.o'), join(project, '.deps', 'colors.Tpo')];
      const compile = async (compiler: string[]) => {
        const [command, ...rest] = compiler;
        const result = await execa(
          command!,
          [
            ...rest,
            '-MT',
            'colors.o',
            '-MD',
            '-MP',
            '-MF',
            '.deps/colors.Tpo',
            '-O2',
            '-g',
            '-c',
            '-o',
            'colors.o',
            'colors.c',
          ],
          {
            cwd: project,
            env: sandbox.env,
            extendEnv: false,
            reject: false,
          },
        );
        expectSuccess(
          { exitCode: result.exitCode ?? 1, stdout: result.stdout, stderr: result.stderr },
          `${compiler.join(' ')} -MF .deps/colors.Tpo`,
        );
        const contents = outputs.map((path) => readFileSync(path));
        for (const path of outputs) rmSync(path);
        return contents;
      };
      const uncached = await compile(['gcc']);
      const before = (await sandbox.stats()).counters;
      expect(await compile([HOARD, 'gcc'])).toEqual(uncached);
      expect(await compile([HOARD, 'gcc'])).toEqual(uncached);
      const after = (await sandbox.stats()).counters;
      expect(delta(after, before, 'c', 'misses')).toBe(1);
      expect(delta(after, before, 'c', 'hits')).toBe(1);
      expect((after.notCacheable['output-file'] ?? 0) - (before.notCacheable['output-file'] ?? 0)).toBe(0);
    });

    it('does not store an object whose source expands __DATE__ or __TIME__', async () => {
      writeFileSync(join(project, 'stamp.c'), 'const char *built = __DATE__ " " __TIME__;\n');
      const compile = () => sandbox.hoard(['gcc', '-c', join(project, 'stamp.c'), '-o', join(project, 'stamp.o')]);
      const before = (await sandbox.stats()).counters;
      expectSuccess(await compile(), 'first compile of stamp.c');
      expectSuccess(await compile(), 'second compile of stamp.c');
      const after = (await sandbox.stats()).counters;
      expect(delta(after, before, 'c', 'hits')).toBe(0);
      expect((after.notCacheable['time-macro'] ?? 0) - (before.notCacheable['time-macro'] ?? 0)).toBe(2);
    });
  },
);

describe.skipIf(fixtureSkipReason('cc-crates'))(
  'C and assembler built by Rust crates through the cc crate (ring, blake3)',
  () => {
    const FIXTURE = 'cc-crates';
    let sandbox: Sandbox;
    let project: string;
    let baseline: Map<string, string>;
    let hoardEnv: Record<string, string>;
    /** What the build produced: rlibs, binaries, and the objects and archives build scripts made. */
    const artifacts = (): Map<string, string> =>
      digestsOf(join(project, 'target', 'debug'), /(\.(o|a|rlib|rmeta)|^cc_crates-[0-9a-f]+)$/);

    beforeAll(async () => {
      requireBuiltAndInstalled(FIXTURE);
      sandbox = createSandbox();
      project = sandbox.project(FIXTURE);
      expectSuccess(await sandbox.cargo(project, ['build'], { RUSTC_WRAPPER: undefined }), 'uncached build');
      baseline = artifacts();
      expectSuccess(await sandbox.cargo(project, ['clean']), 'cargo clean');
      // The set-up docs/configuration.md gives for the cc crate.
      hoardEnv = { CC: `${HOARD} cc`, CXX: `${HOARD} c++`, CC_KNOWN_WRAPPER_CUSTOM: 'hoard' };
    });

    afterAll(async () => {
      await sandbox?.dispose();
    });

    it('hits on the C and assembler objects on the second build, and builds what an uncached build does', async () => {
      expectSuccess(await sandbox.cargo(project, ['build'], hoardEnv), 'cold build');
      const cold = (await sandbox.stats()).counters;
      expect(cold.byKind.c?.misses ?? 0).toBeGreaterThanOrEqual(5);
      expectSuccess(await sandbox.cargo(project, ['clean']), 'cargo clean');
      expectSuccess(await sandbox.cargo(project, ['build'], hoardEnv), 'warm build');
      const warm = (await sandbox.stats()).counters;
      expect(delta(warm, cold, 'c', 'hits')).toBe(cold.byKind.c!.misses);
      expect(delta(warm, cold, 'assembler', 'hits')).toBe(cold.byKind.assembler?.misses ?? 0);
      expect(warm.misses - cold.misses).toBe(0);
      expect(sumOf(warm.errors)).toBe(0);
      expect(artifacts()).toEqual(baseline);
      const run = await execa(join(project, 'target', 'debug', 'cc-crates'));
      expect(run.stdout).toContain('blake3 bb478f91fd0990943550c1fba510fd01831d2972a5e2ff62672b598deee337d0');
    });
  },
);
