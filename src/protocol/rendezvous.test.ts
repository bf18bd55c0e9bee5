import { chmodSync, chownSync, lchownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  assertRendezvous,
  inspectRendezvous,
  parentProblem,
  rendezvousState,
  UntrustedRendezvous,
} from './rendezvous.js';

describe('the rendezvous check', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'hoard-rendezvous-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('trusts a private directory of the user, and knows an absent one', () => {
    const dir = join(root, 'hoard');
    expect(inspectRendezvous(dir)).toEqual({ state: 'absent' });
    expect(rendezvousState(dir)).toBe('absent');
    mkdirSync(dir, { mode: 0o700 });
    expect(inspectRendezvous(dir)).toEqual({ state: 'trusted' });
    expect(rendezvousState(dir)).toBe('trusted');
    expect(assertRendezvous(dir)).toBe('trusted');
  });

  it('refuses a symbolic link, even to a private directory of the user', () => {
    const target = join(root, 'target');
    mkdirSync(target, { mode: 0o700 });
    symlinkSync(target, join(root, 'hoard'));
    expect(inspectRendezvous(join(root, 'hoard'))).toEqual({
      state: 'untrusted',
      problem: `${join(root, 'hoard')} is a symbolic link`,
    });
    expect(rendezvousState(join(root, 'hoard'))).toBe('untrusted');
  });

  it('refuses a directory others can write or enter, and a file', () => {
    const dir = join(root, 'hoard');
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    expect(inspectRendezvous(dir)).toMatchObject({
      state: 'untrusted',
      problem: expect.stringMatching(/written or entered by others \(mode 755\)/),
    });
    expect(rendezvousState(dir)).toBe('untrusted');
    chmodSync(dir, 0o740);
    // Readable by the group lists names only: nothing inside can be reached or replaced.
    expect(rendezvousState(dir)).toBe('trusted');
    writeFileSync(join(root, 'file'), '');
    expect(inspectRendezvous(join(root, 'file'))).toMatchObject({
      state: 'untrusted',
      problem: expect.stringMatching(/not a directory/),
    });
  });

  it.skipIf(process.getuid?.() !== 0)('refuses a directory of another user (as root: chown to nobody)', () => {
    const dir = join(root, 'hoard');
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, 65534, 65534);
    expect(inspectRendezvous(dir)).toMatchObject({
      state: 'untrusted',
      problem: expect.stringMatching(/belongs to user 65534, not to you \(0\)/),
    });
    expect(() => assertRendezvous(dir)).toThrow(UntrustedRendezvous);
    expect(() => assertRendezvous(dir)).toThrow(/remove it or make it yours alone/);
    const link = join(root, 'link');
    symlinkSync(dir, link);
    lchownSync(link, 65534, 65534);
    expect(rendezvousState(link)).toBe('untrusted');
  });
});

describe('the directory that holds the rendezvous', () => {
  it('is fine when the user owns it, or it is sticky like /tmp', () => {
    const root = mkdtempSync(join(tmpdir(), 'hoard-parent-'));
    try {
      expect(parentProblem(root)).toBeUndefined();
      chmodSync(root, 0o777);
      expect(parentProblem(root)).toMatch(/can be written by others without the sticky bit \(mode 777\)/);
      chmodSync(root, 0o1777);
      expect(parentProblem(root)).toBeUndefined();
      if (process.getuid?.() === 0) {
        chmodSync(root, 0o755);
        chownSync(root, 65534, 65534);
        expect(parentProblem(root)).toMatch(/belongs to user 65534, who can replace it/);
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
