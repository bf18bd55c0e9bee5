import { describe, expect, it } from 'vitest';
import {
  classifyRustc as classifyWithKinds,
  expandArgfiles,
  isVerboseVersionQuery,
  tokenizeRustcArgs,
} from './args.js';
import { LINKED_CRATE_KINDS } from './crate-kind.js';
import { LONG_FLAGS, LONG_OPTIONS_WITH_VALUE, SHORT_FLAGS, SHORT_OPTIONS_WITH_VALUE } from './options.js';

const noFiles = (path: string): string => {
  throw new Error(`unexpected read of ${path}`);
};

/** A lib crate as cargo 1.95 compiles it (from `cargo build -v`). */
const LIB = [
  '--crate-name',
  'memchr',
  '--edition=2021',
  '/usr/share/cargo/registry/memchr-2.7.4/src/lib.rs',
  '--error-format=json',
  '--json=diagnostic-rendered-ansi,artifacts,future-incompat',
  '--crate-type',
  'lib',
  '--emit=dep-info,metadata,link',
  '-C',
  'embed-bitcode=no',
  '-C',
  'debuginfo=2',
  '--cfg',
  'feature="std"',
  '--check-cfg',
  'cfg(docsrs,test)',
  '-C',
  'metadata=2a6b8e1b3c4d5e6f',
  '-C',
  'extra-filename=-0b8f2b8f1d2c3a4b',
  '--out-dir',
  '/w/target/debug/deps',
  '-L',
  'dependency=/w/target/debug/deps',
  '--extern',
  'cfg_if=/w/target/debug/deps/libcfg_if-1111.rmeta',
  '--cap-lints',
  'allow',
];

const classifyRustc = (args: readonly string[], cwd: string, readFile: (path: string) => string) =>
  classifyWithKinds(args, cwd, readFile, LINKED_CRATE_KINDS);

function replace(args: string[], from: string, to: string): string[] {
  return args.map((arg) => (arg === from ? to : arg));
}

describe('classifyRustc', () => {
  it('takes a lib crate as cargo passes it, with everything the cache needs', () => {
    const result = classifyRustc(LIB, '/w', noFiles);
    expect(result.kind).toBe('cacheable');
    if (result.kind !== 'cacheable') return;
    expect(result.compile).toMatchObject({
      crateName: 'memchr',
      crateTypes: ['lib'],
      emits: ['dep-info', 'metadata', 'link'],
      outDir: '/w/target/debug/deps',
      extraFilename: '-0b8f2b8f1d2c3a4b',
      input: '/usr/share/cargo/registry/memchr-2.7.4/src/lib.rs',
      externs: [{ name: 'cfg_if', path: '/w/target/debug/deps/libcfg_if-1111.rmeta' }],
      searchPaths: [{ kind: 'dependency', path: '/w/target/debug/deps' }],
    });
  });

  const table: Array<[string, string[], string]> = [
    ['version query', ['-vV'], 'not-compilation'],
    [
      'cargo probe with --print and stdin',
      ['-', '--crate-name', '___', '--print=file-names', '--crate-type', 'bin'],
      'not-compilation',
    ],
    ['--print sysroot', ['--print', 'sysroot'], 'not-compilation'],
    ['no input', ['--crate-type', 'lib'], 'not-compilation'],
    [
      'no crate type',
      LIB.filter((arg, index) => arg !== '--crate-type' && LIB[index - 1] !== '--crate-type'),
      'crate-type',
    ],
    ['unknown crate type', replace(LIB, 'lib', 'sharedobject'), 'crate-type'],
    ['incremental', [...LIB, '-C', 'incremental=/w/target/debug/incremental'], 'incremental'],
    ['stdin input', replace(LIB, '/usr/share/cargo/registry/memchr-2.7.4/src/lib.rs', '-'), 'stdin'],
    ['-o', [...LIB, '-o', 'out.rlib'], 'output-file'],
    ['emit of assembly', replace(LIB, '--emit=dep-info,metadata,link', '--emit=dep-info,asm'), 'emit'],
    ['emit with its own path', replace(LIB, '--emit=dep-info,metadata,link', '--emit=dep-info,link=/x/y.rlib'), 'emit'],
    ['no dep-info', replace(LIB, '--emit=dep-info,metadata,link', '--emit=metadata,link'), 'missing-dep-info'],
    ['unknown option', [...LIB, '--frobnicate'], 'unknown-argument'],
    ['two inputs', [...LIB, 'other.rs'], 'multiple-inputs'],
    ['--sysroot', [...LIB, '--sysroot', '/opt/rust'], 'sysroot'],
    ['split debuginfo', [...LIB, '-C', 'split-debuginfo=unpacked'], 'split-debuginfo'],
    ['profile generation', [...LIB, '-Cprofile-generate=/tmp/pgo'], 'profile'],
  ];
  it.each(table)('%s → %s', (_, args, expected) => {
    const result = classifyRustc(args, '/w', noFiles);
    expect(result.kind === 'not-cacheable' ? result.reason : result.kind).toBe(expected);
  });

  it('takes staticlib and rlib, and split-debuginfo=off', () => {
    expect(classifyRustc(replace(LIB, 'lib', 'staticlib'), '/w', noFiles).kind).toBe('cacheable');
    expect(classifyRustc(replace(LIB, 'lib', 'rlib'), '/w', noFiles).kind).toBe('cacheable');
    expect(classifyRustc([...LIB, '-C', 'split-debuginfo=off'], '/w', noFiles).kind).toBe('cacheable');
  });

  it.each([
    ['binary', replace(LIB, 'lib', 'bin'), 'binary'],
    ['proc-macro', replace(LIB, 'lib', 'proc-macro'), 'proc-macro'],
    ['build script', replace(replace(LIB, 'lib', 'bin'), 'memchr', 'build_script_build'), 'build-script'],
    ['test harness', [...LIB, '--test'], 'binary'],
    ['cdylib', replace(LIB, 'lib', 'cdylib'), 'dylib'],
    ['lib and cdylib together', replace(LIB, 'lib', 'lib,cdylib'), 'dylib'],
  ])('takes a %s as a linked crate of kind %s, unless that kind is switched off', (_, args, kind) => {
    const result = classifyRustc(args, '/w', noFiles);
    expect(result.kind === 'cacheable' && result.compile.linkedKind).toBe(kind);
    const others = LINKED_CRATE_KINDS.filter((other) => other !== kind);
    expect(classifyWithKinds(args, '/w', noFiles, others)).toMatchObject({
      kind: 'not-cacheable',
      reason: 'linked-crate-off',
    });
  });

  it('does not treat libraries as linked', () => {
    const result = classifyWithKinds(LIB, '/w', noFiles, []);
    expect(result.kind === 'cacheable' && result.compile.linkedKind).toBe(undefined);
  });

  it('reads @argfiles relative to the working directory', () => {
    const files: Record<string, string> = { '/w/args.txt': `${LIB.join('\n')}\n` };
    const result = classifyRustc(['@args.txt'], '/w', (path) => files[path] ?? noFiles(path));
    expect(result.kind).toBe('cacheable');
    if (result.kind === 'cacheable') expect(result.compile.args).toEqual(LIB);
  });

  it('reports an unreadable argfile as not cacheable', () => {
    const result = classifyRustc(['@missing.txt'], '/w', noFiles);
    expect(result).toMatchObject({ kind: 'not-cacheable', reason: 'argfile' });
  });
});

describe('tokenizeRustcArgs', () => {
  it('reads attached, separate and long spellings alike', () => {
    expect(
      tokenizeRustcArgs([
        '-Copt-level=3',
        '-C',
        'debuginfo=2',
        '--codegen',
        'lto=off',
        '--edition',
        '2021',
        '-vV',
        'a.rs',
      ]),
    ).toEqual({
      options: [
        { name: '-C', value: 'opt-level=3' },
        { name: '-C', value: 'debuginfo=2' },
        { name: '-C', value: 'lto=off' },
        { name: '--edition', value: '2021' },
        { name: '-v' },
        { name: '-V' },
      ],
      inputs: ['a.rs'],
    });
  });

  it('refuses an option that lacks its value', () => {
    expect(() => tokenizeRustcArgs(['--crate-name'])).toThrow(/without a value/);
  });
});

describe('expandArgfiles', () => {
  it('keeps empty arguments inside the file', () => {
    expect(expandArgfiles(['@f'], '/', () => 'a\n\nb\n')).toEqual(['a', '', 'b']);
  });
});

describe('option tables', () => {
  it.each([
    ['LONG_OPTIONS_WITH_VALUE', LONG_OPTIONS_WITH_VALUE],
    ['LONG_FLAGS', LONG_FLAGS],
    ['SHORT_OPTIONS_WITH_VALUE', SHORT_OPTIONS_WITH_VALUE],
    ['SHORT_FLAGS', SHORT_FLAGS],
  ])('%s stays sorted', (_, table) => {
    expect([...table]).toEqual([...table].sort());
  });
});

describe('isVerboseVersionQuery', () => {
  it.each([
    [['-vV'], true],
    [['-Vv'], true],
    [['--version', '--verbose'], true],
    [['-v', '-V'], true],
    [['-V'], false],
    [['--version'], false],
    [['-vV', '--print', 'sysroot'], false],
    [['-V', '-V'], false],
    [['-vV', 'x.rs'], false],
    [[], false],
  ])('%j → %s', (args, expected) => {
    expect(isVerboseVersionQuery(args)).toBe(expected);
  });
});
