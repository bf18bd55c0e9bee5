import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CcCompilerIdentity } from '../compiler/cc/compiler-identity.js';
import type { ProcessRunner } from '../exec/process-runner.js';
import { DigestMemo } from '../hash/digest-memo.js';
import { PROTOCOL_VERSION, type CompileRequest, type ServerMessage } from '../protocol/messages.js';
import { StatsStore } from '../stats/stats-store.js';
import { OUTSIDE_ANY_REPOSITORY } from '../worktree/locate.js';
import type { Entry } from '../cache/entry.js';
import { CcHandler } from './cc-handler.js';
import { IdleWork } from './idle-work.js';
import { resultKey } from '../compiler/result-key.js';
import type { CacheableCompile } from './compile-flow.js';
import { answerCompile, type SharedCompileDependencies } from './compiler-handler.js';
import type { Exchange } from './exchange.js';
import { Logger } from './logger.js';

describe('CcHandler behind the shared path', () => {
  let root: string;
  let stats: StatsStore;
  let answered: CacheableCompile[];
  let deps: SharedCompileDependencies;
  let cc: CcHandler;
  let shapes: Map<string, string>;
  let filed: Map<string, string>;
  const gcc = (filePrefixMap: boolean): CcCompilerIdentity => ({
    path: '/usr/bin/gcc-12',
    family: 'gcc',
    digest: 'gcc 12',
    systemIncludeDirs: [],
    majorVersion: 12,
    filePrefixMap,
  });
  let preprocess: ProcessRunner['run'];
  const runner: ProcessRunner = { run: (command, args, options) => preprocess(command, args, options) };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'hoard-cc-handler-'));
    mkdirSync(join(root, 'out'));
    writeFileSync(join(root, 'a.c'), 'int a;\n');
    stats = new StatsStore(join(root, 'stats.json'));
    answered = [];
    const log = new Logger('info', { file: join(root, 'server.log'), errorLog: join(root, 'error.log') });
    deps = {
      flow: {
        answer: async (compile, exchange) => {
          answered.push(compile);
          exchange.reply({ type: 'run', store: true });
        },
      },
      stats,
      worktrees: { attribute: async () => ({ ...OUTSIDE_ANY_REPOSITORY, id: 'w', root }) },
      basedirs: () => ['auto'],
      log,
    };
    shapes = new Map();
    filed = new Map();
    preprocess = async () => {
      throw new Error('no compiler runs in this test');
    };
    cc = new CcHandler({
      memo: new DigestMemo(),
      log,
      tmpDir: root,
      runner,
      shapes: {
        has: async (shape) => shapes.has(shape),
        add: async (shape, key) => void shapes.set(shape, key),
        entryFor: async (key) => filed.get(key),
        file: async (key, entry) => void filed.set(key, entry),
      },
      idle: new IdleWork(0, 100),
    });
  });

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  async function ask(argv: string[], identity = gcc(true), env: Record<string, string> = {}): Promise<ServerMessage[]> {
    const replies: ServerMessage[] = [];
    const exchange: Exchange = { reply: (message) => replies.push(message), next: async () => undefined };
    const request: CompileRequest = { v: PROTOCOL_VERSION, type: 'compile', cwd: root, argv, env };
    await answerCompile(deps, cc.forCompiler(identity), request, exchange);
    return replies;
  }

  it('keys a one-source compile under the base directory, asking for a dependency file of its own', async () => {
    expect(await ask(['gcc', '-c', 'a.c', '-o', 'out/a.o'])).toEqual([{ type: 'run', store: true }]);
    const [compile] = answered;
    expect(compile).toMatchObject({ kind: 'c', label: 'a.c', places: { outDir: join(root, 'out'), baseDir: root } });
    expect(compile!.extraArgs).toEqual([
      `-ffile-prefix-map=${root}=.`,
      '-MD',
      '-MF',
      expect.stringMatching(/cc-deps-\d+-1\.d$/),
    ]);
  });

  it('keys without the base directory when the compiler cannot leave it out of the object', async () => {
    await ask(['gcc', '-c', 'a.c', '-o', 'out/a.o', '-MMD'], gcc(false));
    expect(answered[0]!.places).toEqual({ outDir: join(root, 'out') });
    expect(answered[0]!.extraArgs).toBeUndefined();
  });

  it('counts a link by the driver language and runs it uncached', async () => {
    expect(await ask(['g++', 'a.o', '-o', 'app'])).toEqual([{ type: 'run', store: false, reason: 'link' }]);
    expect(stats.counters.byKind['c++']).toMatchObject({ requests: 1, notCacheable: 1 });
  });

  it("refuses a dependency file away from the object under the object's own file name", async () => {
    const replies = await ask(['gcc', '-c', 'a.c', '-o', 'out/a.o', '-MD', '-MF', '.deps/a.o']);
    expect(replies).toEqual([{ type: 'run', store: false, reason: 'output-file' }]);
    expect(answered).toEqual([]);
  });

  it('runs uncached a compile whose environment makes gcc write a dependency file of its own', async () => {
    for (const name of ['DEPENDENCIES_OUTPUT', 'SUNPRO_DEPENDENCIES']) {
      expect(await ask(['gcc', '-c', 'a.c', '-o', 'out/a.o'], gcc(true), { [name]: 'x.d' })).toEqual([
        { type: 'run', store: false, reason: 'output-file' },
      ]);
    }
    expect(answered).toEqual([]);
    expect(stats.counters.notCacheable['output-file']).toBe(2);
  });

  it('restores a dependency file away from the object at its path, from an entry that holds it', async () => {
    await ask(['gcc', '-c', 'a.c', '-o', 'out/a.o', '-MD', '-MF', '.deps/a.Tpo']);
    const [compile] = answered;
    expect(compile!.places.elsewhere).toEqual({ 'a.Tpo': join(root, '.deps', 'a.Tpo') });
    const entry = (names: string[]) => ({ outputs: names.map((name) => ({ name })) }) as unknown as Entry;
    expect(compile!.servable?.(entry(['a.o', 'a.Tpo']))).toBe(true);
    // Stored when the dependency file named the base directory: only the preprocessed key serves it.
    expect(compile!.servable?.(entry(['a.o']))).toBe(false);
  });

  it('keeps a dependency file away from the object in the entry unless it names the base directory', async () => {
    const compileWith = async (depText: string) => {
      mkdirSync(join(root, '.deps'), { recursive: true });
      writeFileSync(join(root, 'out', 'a.o'), 'object');
      writeFileSync(join(root, '.deps', 'a.Tpo'), depText);
      answered = [];
      await ask(['gcc', '-c', 'a.c', '-o', 'out/a.o', '-MT', 'a.lo', '-MD', '-MP', '-MF', '.deps/a.Tpo']);
      const collected = await answered[0]!.collect();
      return 'outputs' in collected
        ? collected.outputs.map((output) => [output.name, output.path, output.templated])
        : collected;
    };
    expect(await compileWith('a.lo: a.c /usr/include/stdio.h\n')).toEqual([
      ['a.o', join(root, 'out', 'a.o'), false],
      ['a.Tpo', join(root, '.deps', 'a.Tpo'), false],
    ]);
    expect(await compileWith(`a.lo: ${root}/a.c\n`)).toEqual([['a.o', join(root, 'out', 'a.o'), false]]);
  });

  it('stores the first compile of a shape under its direct key, files its preprocessed key when idle, and looks there first for the same shape', async () => {
    // A preprocessor that writes what gcc -E would: the text and the dependency file it is told to.
    let runs = 0;
    preprocess = async (_command, args) => {
      runs += 1;
      writeFileSync(args[args.lastIndexOf('-o') + 1]!, '# 1 "a.c"\nint a;\n');
      writeFileSync(args[args.lastIndexOf('-MF') + 1]!, 'a.o: a.c\n');
      return { exitCode: 0, stdout: '', stderr: '' };
    };
    // Written before the request (not within its millisecond), or the source looks modified during the compile.
    await new Promise((resolve) => setTimeout(resolve, 20));
    await ask(['gcc', '-O2', '-MMD', '-c', 'a.c', '-o', 'out/a.o', '-DONE']);
    const first = answered[0]!;
    expect(await first.fallbackWhen?.()).toBe('never');
    expect(runs).toBe(0);
    // The compile wrote its object and its dependency file; the store reads the headers from the latter.
    writeFileSync(join(root, 'out', 'a.o'), 'object');
    writeFileSync(join(root, 'out', 'a.d'), 'out/a.o: a.c\n');
    const collected = await first.collect();
    if ('refused' in collected) throw new Error(collected.refused);
    const manifest = await collected.manifest();
    if ('refused' in manifest) throw new Error(manifest.refused);
    const stored = resultKey(first.direct, manifest).key;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(runs).toBe(1);
    const [preprocessedKey] = [...filed.keys()];
    expect(filed.get(preprocessedKey!)).toBe(stored);
    expect([...shapes.values()]).toEqual([preprocessedKey]);
    expect(stats.counters.ccPreprocessor).toEqual({ 'depend-mode': 1, 'when-idle': 1 });
    // Another -D: the same shape, so an entry may be under its preprocessed key; it is looked up first, and names the stored entry.
    await ask(['gcc', '-O2', '-MMD', '-c', 'a.c', '-o', 'out/a.o', '-DTWO']);
    expect(answered[1]!.direct).not.toBe(first.direct);
    expect(await answered[1]!.fallbackWhen?.()).toBe('before');
    expect(await answered[1]!.fallback?.()).toMatchObject({ key: preprocessedKey, alias: stored });
    // Another optimisation level is another shape.
    await ask(['gcc', '-O0', '-c', 'a.c', '-o', 'out/a.o']);
    expect(await answered[2]!.fallbackWhen?.()).toBe('never');
    expect(stats.counters.ccPreprocessor).toEqual({ 'depend-mode': 2, 'when-idle': 1, 'before-compile': 1 });
  });

  it('does not file the preprocessed key when the idle preprocessor read other files than the compile', async () => {
    // Since the compile, its header was deleted and the preprocessor found another one along the -I path.
    writeFileSync(join(root, 'other.h'), 'int other;\n');
    preprocess = async (_command, args) => {
      writeFileSync(args[args.lastIndexOf('-o') + 1]!, '# 1 "a.c"\nint a;\nint other;\n');
      writeFileSync(args[args.lastIndexOf('-MF') + 1]!, 'a.o: a.c other.h\n');
      return { exitCode: 0, stdout: '', stderr: '' };
    };
    await new Promise((resolve) => setTimeout(resolve, 20));
    await ask(['gcc', '-O2', '-MMD', '-c', 'a.c', '-o', 'out/a.o']);
    const first = answered[0]!;
    expect(await first.fallbackWhen?.()).toBe('never');
    writeFileSync(join(root, 'out', 'a.o'), 'object');
    writeFileSync(join(root, 'out', 'a.d'), 'out/a.o: a.c\n');
    const collected = await first.collect();
    if ('refused' in collected) throw new Error(collected.refused);
    const manifest = await collected.manifest();
    if ('refused' in manifest) throw new Error(manifest.refused);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stats.counters.ccPreprocessor).toEqual({ 'depend-mode': 1, 'when-idle': 1 });
    expect(filed.size).toBe(0);
  });

  it('reads a header for time macros again once it changed', async () => {
    writeFileSync(join(root, 'stamp.h'), 'int b;\n');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const manifestOf = async () => {
      answered = [];
      await ask(['gcc', '-MMD', '-c', 'a.c', '-o', 'out/a.o']);
      writeFileSync(join(root, 'out', 'a.o'), 'object');
      writeFileSync(join(root, 'out', 'a.d'), 'out/a.o: a.c stamp.h\n');
      const collected = await answered[0]!.collect();
      if ('refused' in collected) throw new Error(collected.refused);
      return collected.manifest();
    };
    expect(await manifestOf()).not.toHaveProperty('refused');
    writeFileSync(join(root, 'stamp.h'), 'const char *b = __DATE__;\n');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await manifestOf()).toEqual({ refused: 'stamp.h uses __DATE__, __TIME__ or __TIMESTAMP__' });
    expect(stats.counters.notCacheable['time-macro']).toBe(1);
  });

  it('runs configure probes uncached, counted as probes', async () => {
    writeFileSync(join(root, 'conftest.c'), 'int main(void) { return 0; }\n');
    expect(await ask(['gcc', '-c', 'conftest.c', '-o', 'conftest.o'])).toEqual([
      { type: 'run', store: false, reason: 'probe' },
    ]);
    expect(stats.counters.notCacheable.probe).toBe(1);
    expect(answered).toEqual([]);
  });
});
