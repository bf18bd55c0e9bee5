import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { filesOutsidePlaces, outputPlaces, unexpectedExtraArgs } from './reply-bounds.js';

const cwd = '/w/project';

describe('what a hit may write', () => {
  it('allows rustc outputs inside --out-dir, nothing elsewhere', () => {
    const places = outputPlaces(cwd, [
      '--crate-name',
      'demo',
      '--out-dir',
      '/w/project/target/debug/deps',
      '-C',
      'opt-level=0',
    ]);
    expect(
      filesOutsidePlaces([{ path: '/w/project/target/debug/deps/libdemo-1.rlib', from: '/c/0' }], cwd, places),
    ).toBeUndefined();
    expect(
      filesOutsidePlaces([{ path: '/w/project/target/debug/deps/../../../.bashrc', text: '' }], cwd, places),
    ).toMatch(/\/w\/project\/\.bashrc is not an output/);
    expect(filesOutsidePlaces([{ path: '/home/u/.bashrc', text: 'x' }], cwd, places)).toMatch(/not an output/);
    // Nothing below a subdirectory of the out-dir either: rustc writes into it by name.
    expect(filesOutsidePlaces([{ path: '/w/project/target/debug/deps/sub/x', text: '' }], cwd, places)).toBeDefined();
    expect(outputPlaces(cwd, ['--out-dir=target']).dirs).toEqual(new Set(['/w/project/target']));
  });

  it('allows a C compile its -o, its -MF, or the -MD file beside -o', () => {
    const mf = outputPlaces(cwd, ['-c', 'x.c', '-o', 'obj/x.o', '-MMD', '-MF', '.deps/x.Tpo']);
    expect(
      filesOutsidePlaces(
        [
          { path: 'obj/x.o', from: '/c/0' },
          { path: '/w/project/.deps/x.Tpo', text: '' },
        ],
        cwd,
        mf,
      ),
    ).toBeUndefined();
    expect(filesOutsidePlaces([{ path: 'obj/other.o', from: '/c/0' }], cwd, mf)).toBeDefined();
    const md = outputPlaces(cwd, ['-c', 'x.c', '-oobj/x.o', '-MD']);
    expect(
      filesOutsidePlaces(
        [
          { path: '/w/project/obj/x.o', from: '/c/0' },
          { path: '/w/project/obj/x.d', text: '' },
        ],
        cwd,
        md,
      ),
    ).toBeUndefined();
    expect(
      filesOutsidePlaces(
        [{ path: '/w/project/obj/x.d', text: '' }],
        cwd,
        outputPlaces(cwd, ['-c', 'x.c', '-o', 'obj/x.o']),
      ),
    ).toBeDefined();
  });

  it('allows the working directory where neither --out-dir nor -o names the output', () => {
    const c = outputPlaces(cwd, ['-c', 'x.c', '-MD']);
    expect(
      filesOutsidePlaces(
        [
          { path: 'x.o', from: '/c/0' },
          { path: 'x.d', text: '' },
        ],
        cwd,
        c,
      ),
    ).toBeUndefined();
    expect(filesOutsidePlaces([{ path: 'sub/x.o', from: '/c/0' }], cwd, c)).toBeDefined();
    expect(
      filesOutsidePlaces(
        [{ path: 'libdemo.rlib', from: '/c/0' }],
        cwd,
        outputPlaces(cwd, ['--crate-name', 'demo', 'src/lib.rs']),
      ),
    ).toBeUndefined();
  });

  it('refuses modes beyond permission bits (setuid)', () => {
    const places = outputPlaces(cwd, ['--out-dir', 'out']);
    expect(filesOutsidePlaces([{ path: 'out/tool', from: '/c/0', mode: 0o755 }], cwd, places)).toBeUndefined();
    expect(filesOutsidePlaces([{ path: 'out/tool', from: '/c/0', mode: 0o4755 }], cwd, places)).toMatch(/mode/);
  });
});

describe('what a run reply may add', () => {
  const root = mkdtempSync(join(tmpdir(), 'hoard-bounds-'));
  const tmp = join(root, 'cache', 'tmp');
  mkdirSync(tmp, { recursive: true, mode: 0o700 });
  chmodSync(tmp, 0o700);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('accepts the base-directory remapping of a directory that holds the working directory', () => {
    expect(unexpectedExtraArgs(['--remap-path-prefix=/w/project=.'], cwd)).toBeUndefined();
    expect(unexpectedExtraArgs(['-ffile-prefix-map=/w=.'], cwd)).toBeUndefined();
    expect(unexpectedExtraArgs(['--remap-path-prefix=/elsewhere=.'], cwd)).toMatch(/not one hoard adds/);
    expect(unexpectedExtraArgs(['--remap-path-prefix=/w/proj=.'], cwd)).toBeDefined();
  });

  it('accepts -MD -MF of the server own dependency file in a private tmp directory only', () => {
    expect(unexpectedExtraArgs(['-MD', '-MF', join(tmp, 'cc-deps-12-3.d')], cwd)).toBeUndefined();
    expect(
      unexpectedExtraArgs(['-ffile-prefix-map=/w=.', '-MD', '-MF', join(tmp, 'cc-deps-12-3.d')], cwd),
    ).toBeUndefined();
    expect(unexpectedExtraArgs(['-MD', '-MF', '/home/u/.bashrc'], cwd)).toBeDefined();
    expect(unexpectedExtraArgs(['-MD', '-MF', `${tmp}/../tmp/cc-deps-1-1.d`], cwd)).toBeDefined();
    const open = join(root, 'open', 'tmp');
    mkdirSync(open, { recursive: true });
    chmodSync(open, 0o777);
    expect(unexpectedExtraArgs(['-MD', '-MF', join(open, 'cc-deps-1-1.d')], cwd)).toBeDefined();
    const linked = join(root, 'linked');
    mkdirSync(linked);
    symlinkSync(tmp, join(linked, 'tmp'));
    expect(unexpectedExtraArgs(['-MD', '-MF', join(linked, 'tmp', 'cc-deps-1-1.d')], cwd)).toBeDefined();
  });

  it('refuses anything else: what would run a program, or write elsewhere', () => {
    for (const extra of [
      ['-wrapper', '/bin/sh,-c,id'],
      ['-fplugin=/tmp/evil.so'],
      ['-C', 'linker=/tmp/evil'],
      ['-o', '/home/u/.bashrc'],
      ['-MD'],
    ]) {
      expect(unexpectedExtraArgs(extra, cwd), extra.join(' ')).toBeDefined();
    }
  });
});
