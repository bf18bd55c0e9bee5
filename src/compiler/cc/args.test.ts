import { describe, expect, it } from 'vitest';
import { classifyCc, isCxxDriver } from './args.js';
import { parseDepFile } from './dep-file.js';
import { parseVerboseOutput, takesFilePrefixMap } from './compiler-identity.js';
import {
  OPTIONS_WITH_SEPARATE_VALUE,
  OUTPUT_WRITING_PREFIXES,
  PREPROCESSOR_ONLY_OPTIONS,
  UNCACHEABLE_FLAGS,
} from './options.js';

/** A compile as the cc crate issues it (ring's build script). */
const CC_RS = [
  '-O0',
  '-ffunction-sections',
  '-fdata-sections',
  '-fPIC',
  '-g',
  '-m64',
  '-I',
  'include',
  '-Wall',
  '-DNDEBUG',
  '-c',
  '-o',
  '/t/out/crypto/mem.o',
  'crypto/mem.c',
];

function outcome(compiler: string, args: string[]): string {
  const result = classifyCc(compiler, args, '/w');
  return result.kind === 'not-cacheable' ? result.reason : result.kind;
}

describe('classifyCc', () => {
  it('takes a compile to an object, with its language, object and keyed arguments', () => {
    const result = classifyCc('cc', CC_RS, '/w');
    expect(result).toMatchObject({
      kind: 'cacheable',
      compile: { source: '/w/crypto/mem.c', language: 'c', output: '/t/out/crypto/mem.o', userHeadersOnly: false },
    });
    if (result.kind === 'cacheable') expect(result.compile.keyedArgs).not.toContain('/t/out/crypto/mem.o');
  });

  it.each([
    ['version', ['--version'], 'not-compilation'],
    ['linking', ['a.o', 'b.o', '-o', 'demo'], 'link'],
    ['compile and link in one', ['main.c', '-o', 'demo'], 'link'],
    ['preprocessing', ['-E', 'a.c'], 'preprocess'],
    ['dependency rules only', ['-M', 'a.c'], 'preprocess'],
    ['assembly output', ['-S', '-c', 'a.c'], 'emit'],
    ['two sources', ['-c', 'a.c', 'b.c'], 'multiple-inputs'],
    ['standard input', ['-c', '-x', 'c', '-'], 'stdin'],
    ['coverage', ['-c', '--coverage', 'a.c'], 'profile'],
    ['profile generation', ['-c', '-fprofile-generate', 'a.c'], 'profile'],
    ['split dwarf', ['-c', '-gsplit-dwarf', 'a.c'], 'split-debuginfo'],
    ['save-temps', ['-c', '-save-temps', 'a.c'], 'save-temps'],
    ['precompiled header', ['-c', '-include-pch', 'x.pch', 'a.c'], 'pch'],
    ['unknown language', ['-c', 'a.f90'], 'language'],
    ['a dump', ['-c', '-fdump-tree-all', 'a.c'], 'unknown-argument'],
    ['response file', ['@args'], 'argfile'],
  ])('%s → %s', (_, args, expected) => {
    expect(outcome('gcc', args)).toBe(expected);
  });

  it('finds the dependency file where gcc writes it, and keeps -o in the key only then', () => {
    const withDeps = classifyCc('gcc', ['-MMD', '-MP', '-c', 'src/a.c', '-o', 'build/a.o'], '/w');
    expect(withDeps).toMatchObject({ kind: 'cacheable', compile: { depFile: '/w/build/a.d', userHeadersOnly: true } });
    if (withDeps.kind === 'cacheable') expect(withDeps.compile.keyedArgs).toContain('-o=build/a.o');
    const named = classifyCc('gcc', ['-MD', '-MF', 'build/a.dep', '-MT', 'a', '-c', 'a.c', '-o', 'build/a.o'], '/w');
    expect(named).toMatchObject({ kind: 'cacheable', compile: { depFile: '/w/build/a.dep', userHeadersOnly: false } });
    if (named.kind === 'cacheable') expect(named.compile.keyedArgs.some((arg) => arg.startsWith('-o='))).toBe(false);
  });

  it('knows C++ by the extension, -x, or a C++ driver', () => {
    expect(classifyCc('gcc', ['-c', 'a.cpp'], '/w')).toMatchObject({ compile: { language: 'c++', output: '/w/a.o' } });
    expect(classifyCc('g++', ['-c', 'a.c'], '/w')).toMatchObject({ compile: { language: 'c++' } });
    expect(classifyCc('gcc', ['-x', 'c++', '-c', 'a.c'], '/w')).toMatchObject({ compile: { language: 'c++' } });
    expect(classifyCc('cc', ['-c', 'a.S'], '/w')).toMatchObject({ compile: { language: 'assembler' } });
  });

  it('recognises C++ drivers by name', () => {
    for (const name of ['g++', 'c++', 'clang++', '/usr/bin/x86_64-linux-gnu-g++-12'])
      expect(isCxxDriver(name)).toBe(true);
    for (const name of ['cc', 'gcc', 'clang', 'x86_64-linux-gnu-gcc-12']) expect(isCxxDriver(name)).toBe(false);
  });
});

describe('configure probes', () => {
  it.each([
    ['conftest.c', '/w/build', ['-c', 'conftest.c']],
    ['conftest.cpp', '/w/build', ['-O2', '-c', 'conftest.cpp', '-o', 'conftest.o']],
    [
      'CMake 3.24+',
      '/w/b/CMakeFiles/CMakeScratch/TryCompile-abc',
      ['-c', '/w/b/CMakeFiles/CMakeScratch/TryCompile-abc/src.c', '-o', 'src.c.o'],
    ],
    ['CMake before 3.24', '/w/b/CMakeFiles/CMakeTmp', ['-c', 'CheckSymbolExists.c']],
    ['Meson', '/w/b/meson-private/tmpk2j1', ['-c', 'testfile.c', '-o', 'output.obj']],
  ])('recognises %s and runs it uncached as a probe', (_, cwd, args) => {
    const result = classifyCc('gcc', args, cwd);
    expect(result.kind === 'not-cacheable' && result.reason).toBe('probe');
  });

  it('takes ordinary sources, whatever they are called', () => {
    for (const source of ['conftest-helper.c', 'test/conftest_x.c', 'CMakeFiles/demo.dir/main.c']) {
      expect(classifyCc('gcc', ['-c', source], '/w').kind).toBe('cacheable');
    }
  });
});

describe('option tables', () => {
  it.each([
    ['OPTIONS_WITH_SEPARATE_VALUE', [...OPTIONS_WITH_SEPARATE_VALUE]],
    ['UNCACHEABLE_FLAGS', UNCACHEABLE_FLAGS.map(([prefix]) => prefix)],
    ['OUTPUT_WRITING_PREFIXES', [...OUTPUT_WRITING_PREFIXES]],
    ['PREPROCESSOR_ONLY_OPTIONS', PREPROCESSOR_ONLY_OPTIONS.map(([option]) => option)],
  ])('%s stays sorted', (_, table) => {
    expect(table).toEqual([...table].sort());
  });
});

describe('parseDepFile', () => {
  it('reads continued lines and escaped spaces, and adds nothing for -MP rules', () => {
    const text = 'build/a.o: src/a.c src/a.h \\\n /usr/include/stdio.h my\\ dir/b.h\nsrc/a.h:\n/usr/include/stdio.h:\n';
    expect(parseDepFile(text)).toEqual(['src/a.c', 'src/a.h', '/usr/include/stdio.h', 'my dir/b.h']);
  });
});

describe('parseVerboseOutput', () => {
  it('tells gcc from clang and reads the include search list', () => {
    const gcc =
      'Target: x86_64-linux-gnu\ngcc version 12.2.0 (Debian 12.2.0-14)\n#include <...> search starts here:\n /usr/lib/gcc/x86_64-linux-gnu/12/include\n /usr/include\nEnd of search list.\n';
    expect(parseVerboseOutput(gcc)).toEqual({
      family: 'gcc',
      version: 'gcc version 12.2.0 (Debian 12.2.0-14)',
      target: 'Target: x86_64-linux-gnu',
      includeDirs: ['/usr/lib/gcc/x86_64-linux-gnu/12/include', '/usr/include'],
    });
    expect(parseVerboseOutput('Debian clang version 14.0.6\nTarget: x86_64-pc-linux-gnu\n')?.family).toBe('clang');
    expect(parseVerboseOutput('rustc 1.95.0')).toBeUndefined();
  });
});

describe('takesFilePrefixMap', () => {
  it('is gcc 8, clang 10 and Apple clang 12 or later', () => {
    expect(takesFilePrefixMap('gcc', 'gcc version 12.2.0 (Debian 12.2.0-14)')).toBe(true);
    expect(takesFilePrefixMap('gcc', 'gcc version 7.5.0 (Ubuntu 7.5.0-3ubuntu1~18.04)')).toBe(false);
    expect(takesFilePrefixMap('clang', 'Debian clang version 14.0.6')).toBe(true);
    expect(takesFilePrefixMap('clang', 'clang version 9.0.1')).toBe(false);
    expect(takesFilePrefixMap('clang', 'Apple clang version 11.0.3 (clang-1103.0.32.62)')).toBe(false);
    expect(takesFilePrefixMap('clang', 'Apple clang version 15.0.0 (clang-1500.3.9.4)')).toBe(true);
    expect(takesFilePrefixMap('gcc', 'gcc version trunk')).toBe(false);
  });
});

describe('ownPrefixMap', () => {
  it('tells whether the caller maps paths itself', () => {
    expect(classifyCc('gcc', ['-c', 'a.c'], '/w')).toMatchObject({ compile: { ownPrefixMap: false } });
    expect(classifyCc('gcc', ['-fdebug-prefix-map=/w=.', '-c', 'a.c'], '/w')).toMatchObject({
      compile: { ownPrefixMap: true },
    });
    expect(classifyCc('gcc', ['-fmacro-prefix-map=/w=.', '-c', 'a.c'], '/w')).toMatchObject({
      compile: { ownPrefixMap: true },
    });
  });
});
