import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DigestMemo } from '../../hash/digest-memo.js';
import { LINKED_CRATE_KINDS } from './crate-kind.js';
import { classifyRustc } from './args.js';
import { resultKey } from '../result-key.js';
import { directKey, EXCLUDED_CARGO_VARIABLES, keyedEnvironment } from './key-inputs.js';

let dir: string;
const baseEnv = {
  CARGO_PKG_NAME: 'demo',
  CARGO_PKG_VERSION: '1.0.0',
  CARGO_MANIFEST_DIR: '/w/demo',
  PATH: '/usr/bin',
  TMPDIR: '/tmp/a',
};

function args(overrides: { extern?: string; outDir?: string; depDir?: string; extra?: string[] } = {}): string[] {
  return [
    '--crate-name',
    'demo',
    '--edition=2021',
    'src/lib.rs',
    '--crate-type',
    'lib',
    '--emit=dep-info,metadata,link',
    '-C',
    'metadata=abc',
    '--out-dir',
    overrides.outDir ?? join(dir, 'out'),
    '-L',
    `dependency=${overrides.depDir ?? join(dir, 'deps')}`,
    '-L',
    `native=${join(dir, 'native')}`,
    '-l',
    'static=thing',
    '--extern',
    `dep=${overrides.extern ?? join(dir, 'deps', 'libdep.rmeta')}`,
    ...(overrides.extra ?? []),
  ];
}

async function keyOf(
  options: { args?: string[]; env?: Record<string, string>; cwd?: string; identity?: string } = {},
): Promise<string> {
  const classification = classifyRustc(options.args ?? args(), options.cwd ?? '/w/demo', () => '', LINKED_CRATE_KINDS);
  if (classification.kind !== 'cacheable') throw new Error(`not cacheable: ${JSON.stringify(classification)}`);
  const { key } = await directKey({
    compile: classification.compile,
    compilerIdentity: options.identity ?? 'rustc 1.95.0',
    cwd: options.cwd ?? '/w/demo',
    env: options.env ?? baseEnv,
    memo: new DigestMemo(),
  });
  return key;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hoard-key-'));
  for (const sub of ['deps', 'other-deps', 'native']) mkdirSync(join(dir, sub));
  writeFileSync(join(dir, 'deps', 'libdep.rmeta'), 'dependency v1');
  writeFileSync(join(dir, 'other-deps', 'libdep.rmeta'), 'dependency v1');
  writeFileSync(join(dir, 'other-deps', 'libdep-changed.rmeta'), 'dependency v2');
  writeFileSync(join(dir, 'native', 'libthing.a'), 'archive v1');
});

describe('direct key', () => {
  it('is stable for the same inputs', async () => {
    expect(await keyOf()).toBe(await keyOf());
  });

  it.each<[string, () => Promise<string>]>([
    ['2 compiler identity', () => keyOf({ identity: 'rustc 1.96.0' })],
    ['3 an argument', () => keyOf({ args: args({ extra: ['-C', 'opt-level=3'] }) })],
    ['4 extern contents', () => keyOf({ args: args({ extern: join(dir, 'other-deps', 'libdep-changed.rmeta') }) })],
    ['7 a CARGO_ variable', () => keyOf({ env: { ...baseEnv, CARGO_PKG_VERSION: '1.0.1' } })],
    ['7 RUSTC_BOOTSTRAP', () => keyOf({ env: { ...baseEnv, RUSTC_BOOTSTRAP: '1' } })],
    ['8 working directory', () => keyOf({ cwd: '/w/elsewhere' })],
  ])('changes with input %s', async (_, variant) => {
    expect(await variant()).not.toBe(await keyOf());
  });

  it('changes with input 5, the contents of a native library found in -L', async () => {
    const before = await keyOf();
    writeFileSync(join(dir, 'native', 'libthing.a'), 'archive v2');
    const after = await keyOf();
    writeFileSync(join(dir, 'native', 'libthing.a'), 'archive v1');
    expect(after).not.toBe(before);
  });

  it.each<[string, () => Promise<string>]>([
    ['--out-dir', () => keyOf({ args: args({ outDir: '/elsewhere/target/debug/deps' }) })],
    ['-L dependency= paths', () => keyOf({ args: args({ depDir: '/elsewhere/deps' }) })],
    [
      'the path of an extern with the same contents',
      () => keyOf({ args: args({ extern: join(dir, 'other-deps', 'libdep.rmeta') }) }),
    ],
    ['CARGO_MAKEFLAGS (jobserver)', () => keyOf({ env: { ...baseEnv, CARGO_MAKEFLAGS: '-j --jobserver-fds=3,4' } })],
    ['CARGO_INCREMENTAL', () => keyOf({ env: { ...baseEnv, CARGO_INCREMENTAL: '1' } })],
    [
      'variables rustc does not read (PATH, TMPDIR)',
      () => keyOf({ env: { ...baseEnv, PATH: '/opt/bin', TMPDIR: '/tmp/b' } }),
    ],
  ])('ignores %s', async (_, variant) => {
    expect(await variant()).toBe(await keyOf());
  });
});

describe('keyedEnvironment', () => {
  it('keeps CARGO_* minus the exclusions, sorted', () => {
    expect(
      keyedEnvironment({
        CARGO_PKG_VERSION: '1',
        CARGO_MAKEFLAGS: 'x',
        CARGO: '/bin/cargo',
        HOME: '/root',
        CARGO_CRATE_NAME: 'a',
      }),
    ).toEqual([
      ['CARGO', '/bin/cargo'],
      ['CARGO_CRATE_NAME', 'a'],
      ['CARGO_PKG_VERSION', '1'],
    ]);
  });

  it('lists its exclusions sorted, each with a reason', () => {
    const names = EXCLUDED_CARGO_VARIABLES.map(({ pattern }) => pattern.source);
    expect(names).toEqual([...names].sort());
    for (const { why } of EXCLUDED_CARGO_VARIABLES) expect(why.length).toBeGreaterThan(5);
  });
});

describe('result key', () => {
  const manifest = {
    files: [['src/lib.rs', 'aa'] as [string, string]],
    envDeps: [['GREETING', 'hi'] as [string, string]],
  };
  it('changes with 9 a source digest and 10 an env-dep value', () => {
    const base = resultKey('d', manifest).key;
    expect(resultKey('d', { ...manifest, files: [['src/lib.rs', 'bb']] }).key).not.toBe(base);
    expect(resultKey('d', { ...manifest, envDeps: [['GREETING', 'ho']] }).key).not.toBe(base);
    expect(resultKey('d', { ...manifest, envDeps: [['GREETING', null]] }).key).not.toBe(base);
    expect(resultKey('e', manifest).key).not.toBe(base);
  });

  it('explains itself as labelled lines when asked', () => {
    expect(resultKey('d', manifest, true).explanation).toBe(
      'direct: d\n9 source: src/lib.rs aa\n10 env-dep: GREETING=hi',
    );
  });
});
