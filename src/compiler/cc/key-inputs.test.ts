import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyCc } from './args.js';
import type { CcCompilerIdentity } from './compiler-identity.js';
import { ccDirectKey, ccPreprocessedKey, ccShapeKey, digestPreprocessed, filePrefixMapArgument } from './key-inputs.js';
import { relocationFor } from '../../worktree/base-dir.js';

const IDENTITY: CcCompilerIdentity = {
  path: '/usr/bin/gcc-12',
  family: 'gcc',
  digest: 'gcc-12.2.0',
  systemIncludeDirs: ['/usr/include'],
  majorVersion: 12,
  filePrefixMap: true,
};

async function keyOf(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; identity?: CcCompilerIdentity; baseDir?: string } = {},
): Promise<string> {
  const result = classifyCc('gcc', args, options.cwd ?? '/w');
  if (result.kind !== 'cacheable') throw new Error(JSON.stringify(result));
  const relocation = relocationFor(options.baseDir);
  const extraArgs = options.baseDir ? [filePrefixMapArgument(options.baseDir)] : [];
  return (
    await ccDirectKey(
      result.compile,
      options.identity ?? IDENTITY,
      options.cwd ?? '/w',
      options.env ?? { PATH: '/usr/bin' },
      { extraArgs, relocation },
    )
  ).key;
}

describe('ccDirectKey', () => {
  const base = ['-O2', '-c', 'a.c', '-o', 'out/a.o'];

  it('changes with each input', async () => {
    const key = await keyOf(base);
    expect(await keyOf(['-O0', '-c', 'a.c', '-o', 'out/a.o'])).not.toBe(key);
    expect(await keyOf(base, { identity: { ...IDENTITY, digest: 'gcc-13.1.0' } })).not.toBe(key);
    expect(await keyOf(base, { cwd: '/elsewhere' })).not.toBe(key);
    expect(await keyOf(base, { env: { PATH: '/usr/bin', CPATH: '/opt/include' } })).not.toBe(key);
    expect(await keyOf(['-DX=1', ...base])).not.toBe(key);
  });

  it('leaves out where the object goes, and what the compiler does not read', async () => {
    const key = await keyOf(base);
    expect(await keyOf(['-O2', '-c', 'a.c', '-o', 'other/a.o'])).toBe(key);
    expect(await keyOf(base, { env: { PATH: '/opt/bin:/usr/bin', HOME: '/home/u' } })).toBe(key);
  });

  it('keeps the file names of the object and the dependency file, which the entry restores under', async () => {
    expect(await keyOf(['-O2', '-c', 'a.c', '-o', 'out/b.o'])).not.toBe(await keyOf(base));
    expect(await keyOf(['-MD', '-MT', 't', '-MF', 'out/x.d', ...base])).not.toBe(
      await keyOf(['-MD', '-MT', 't', '-MF', 'out/y.d', ...base]),
    );
  });

  it('keeps the object path when a dependency file names it', async () => {
    const withDeps = ['-MMD', ...base];
    expect(await keyOf(['-MMD', '-O2', '-c', 'a.c', '-o', 'other/a.o'])).not.toBe(await keyOf(withDeps));
  });

  it('is the same in two checkouts under a base directory, and only then', async () => {
    const args = (root: string) => ['-MMD', '-I', `${root}/include`, '-c', `${root}/src/a.c`, '-o', `${root}/obj/a.o`];
    const inA = await keyOf(args('/w/a'), { cwd: '/w/a/src', baseDir: '/w/a', env: { CPATH: '/w/a/gen' } });
    expect(await keyOf(args('/w/b'), { cwd: '/w/b/src', baseDir: '/w/b', env: { CPATH: '/w/b/gen' } })).toBe(inA);
    expect(await keyOf(args('/w/b'), { cwd: '/w/b/src', env: { CPATH: '/w/b/gen' } })).not.toBe(
      await keyOf(args('/w/a'), { cwd: '/w/a/src', env: { CPATH: '/w/a/gen' } }),
    );
    // The mapping the cache adds is part of what is compiled: with and without it are different entries.
    expect(await keyOf(args('/w/a'), { cwd: '/w/a/src', env: { CPATH: '/w/a/gen' } })).not.toBe(inA);
  });
});

function preprocessedKeyOf(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; text?: string; stderr?: string; baseDir?: string } = {},
): string {
  const result = classifyCc('gcc', args, options.cwd ?? '/w');
  if (result.kind !== 'cacheable') throw new Error(JSON.stringify(result));
  const relocation = relocationFor(options.baseDir);
  const preprocessed = { digest: options.text ?? 'text', stderr: options.stderr ?? '' };
  return ccPreprocessedKey(result.compile, IDENTITY, options.cwd ?? '/w', options.env ?? {}, preprocessed, {
    relocation,
  }).key;
}

describe('ccPreprocessedKey', () => {
  const base = ['-O2', '-c', 'a.c', '-o', 'out/a.o'];

  it('changes with each input, and differs from the direct key', async () => {
    const key = preprocessedKeyOf(base);
    expect(preprocessedKeyOf(['-O0', '-c', 'a.c', '-o', 'out/a.o'])).not.toBe(key);
    expect(preprocessedKeyOf(base, { text: 'other text' })).not.toBe(key);
    expect(preprocessedKeyOf(base, { stderr: 'a.h:1:2: warning: #warning x' })).not.toBe(key);
    expect(preprocessedKeyOf(base, { env: { LANG: 'de_DE.UTF-8' } })).not.toBe(key);
    expect(key).not.toBe(await keyOf(base));
  });

  it('depends on the working directory only with debug information', () => {
    expect(preprocessedKeyOf(base, { cwd: '/elsewhere' })).toBe(preprocessedKeyOf(base));
    expect(preprocessedKeyOf(['-g', ...base], { cwd: '/elsewhere' })).not.toBe(preprocessedKeyOf(['-g', ...base]));
    expect(preprocessedKeyOf(['-g', '-g0', ...base], { cwd: '/elsewhere' })).toBe(
      preprocessedKeyOf(['-g', '-g0', ...base]),
    );
  });

  it('never relocates a macro value: it may be embedded in the object', async () => {
    const defining = (root: string) => [`-DDATA="${root}/data"`, '-D', `ROOT=${root}`, '-c', `${root}/a.c`];
    expect(await keyOf(defining('/w/b'), { cwd: '/w/b', baseDir: '/w/b' })).not.toBe(
      await keyOf(defining('/w/a'), { cwd: '/w/a', baseDir: '/w/a' }),
    );
    // The preprocessed key has no -D at all: what a macro's value does is in the text (a digest of its own).
    expect(preprocessedKeyOf(defining('/w/b'), { cwd: '/w/b', baseDir: '/w/b', text: 'uses /w/b/data' })).not.toBe(
      preprocessedKeyOf(defining('/w/a'), { cwd: '/w/a', baseDir: '/w/a', text: 'uses /w/a/data' }),
    );
  });

  it('leaves out every option whose whole effect is in the preprocessed text, and only those', async () => {
    const key = preprocessedKeyOf(base);
    const preprocessorOnly = [
      ['-DUNUSED'],
      ['-D', 'X=1'],
      ['-UNDEBUG'],
      ['-Iinclude'],
      ['-I', 'copy/include'],
      ['-include', 'config.h'],
      ['-imacros', 'macros.h'],
      ['-isystem', '/opt/include'],
      ['-isystem/opt/include'],
      ['-idirafter', 'late'],
      ['-iquote', 'quoted'],
      ['-iprefix', '/p/', '-iwithprefix', 'x', '-iwithprefixbefore', 'y'],
      ['-nostdinc'],
    ];
    for (const options of preprocessorOnly) {
      expect(preprocessedKeyOf([...options, ...base]), options.join(' ')).toBe(key);
      // The direct key has no preprocessed text to stand for them: there they count.
      expect(await keyOf([...options, ...base]), options.join(' ')).not.toBe(await keyOf(base));
    }
    for (const options of [['-O0'], ['-fPIC'], ['-Wall'], ['-std=c99'], ['-march=native'], ['-MMD'], ['-x', 'c++']]) {
      expect(preprocessedKeyOf([...options, ...base]), options.join(' ')).not.toBe(key);
    }
  });

  it('has the shape of its preprocessed key: the same for the same compile, whatever the preprocessor options', () => {
    const shapeOf = (args: string[], cwd = '/w') => {
      const result = classifyCc('gcc', args, cwd);
      if (result.kind !== 'cacheable') throw new Error(JSON.stringify(result));
      return ccShapeKey(result.compile, IDENTITY, cwd, {});
    };
    expect(shapeOf(['-DX', '-Ia', ...base])).toBe(shapeOf(base));
    expect(shapeOf(['-O0', '-c', 'a.c', '-o', 'out/a.o'])).not.toBe(shapeOf(base));
    expect(shapeOf(['-O2', '-c', 'b.c', '-o', 'out/a.o'])).not.toBe(shapeOf(base));
    expect(shapeOf(['-g', ...base], '/elsewhere')).not.toBe(shapeOf(['-g', ...base]));
  });
});

describe('digestPreprocessed', () => {
  it('relocates the file names of line markers and nothing else', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hoard-preprocessed-'));
    const write = (name: string, root: string, define: string) => {
      writeFileSync(join(dir, name), `# 1 "${root}/a.c"\n# 1 "${root}/a.h" 1\nconst char *d = "${define}";\n`);
      return join(dir, name);
    };
    const inA = await digestPreprocessed(write('a.i', '/w/a', '/w/a/data'), relocationFor('/w/a'));
    expect(await digestPreprocessed(write('b.i', '/w/b', '/w/a/data'), relocationFor('/w/b'))).toBe(inA);
    expect(await digestPreprocessed(write('c.i', '/w/b', '/w/b/data'), relocationFor('/w/b'))).not.toBe(inA);
    expect(await digestPreprocessed(write('d.i', '/w/b', '/w/a/data'), relocationFor(undefined))).not.toBe(inA);
  });

  it("leaves the line markers' file names out without debug information, and keeps them with it or with __builtin_FILE", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hoard-preprocessed-'));
    const compileOf = (args: string[]) => {
      const result = classifyCc('gcc', [...args, '-c', 'a.c'], '/w');
      if (result.kind !== 'cacheable') throw new Error(JSON.stringify(result));
      return result.compile;
    };
    const write = (name: string, headerDir: string, body = 'int x;') => {
      writeFileSync(join(dir, name), `# 1 "a.c"\n# 1 "${headerDir}/a.h" 1 3\n${body}\n# 2 "a.c" 2\n`);
      return join(dir, name);
    };
    const none = relocationFor(undefined);
    const plain = compileOf(['-O2']);
    expect(await digestPreprocessed(write('a.i', 'include'), none, plain)).toBe(
      await digestPreprocessed(write('b.i', 'copy/include'), none, plain),
    );
    // The rest of a marker (line number, flags) still counts, and so does the text.
    expect(await digestPreprocessed(write('c.i', 'include', 'int y;'), none, plain)).not.toBe(
      await digestPreprocessed(write('a.i', 'include'), none, plain),
    );
    const debug = compileOf(['-O2', '-g']);
    expect(await digestPreprocessed(write('d.i', 'include'), none, debug)).not.toBe(
      await digestPreprocessed(write('e.i', 'copy/include'), none, debug),
    );
    const builtin = 'const char *f = __builtin_FILE();';
    expect(await digestPreprocessed(write('f.i', 'include', builtin), none, plain)).not.toBe(
      await digestPreprocessed(write('g.i', 'copy/include', builtin), none, plain),
    );
  });
});
