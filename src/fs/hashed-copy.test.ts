import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contentDigest } from './content-hash.js';
import { cloneOrCopyHashed, cloneOrCopyHashedSync, copyFileHashed, copyFileHashedSync } from './hashed-copy.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hoard-hashed-copy-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const digestOf = (bytes: Buffer): string => contentDigest(bytes);

// Sizes around the chunks (256 KiB async, 1 MiB sync) and the ring of buffers: empty, one byte, exact
// multiples, one over, and more chunks than buffers with a short tail.
const sizes = [0, 1, 256 << 10, (256 << 10) + 1, 1 << 20, (1 << 20) + 1, (5 << 20) + 12345];

describe.each([
  ['copyFileHashed', copyFileHashed],
  ['copyFileHashedSync', async (from: string, to: string) => copyFileHashedSync(from, to)],
] as const)('%s', (_name, copy) => {
  it.each(sizes)('copies %i bytes exactly and returns their digest', async (size) => {
    const bytes = randomBytes(size);
    writeFileSync(join(dir, 'blob'), bytes);
    writeFileSync(join(dir, 'copy'), 'longer than some of the copies: replaced, not overwritten in place');
    const digest = await copy(join(dir, 'blob'), join(dir, 'copy'));
    expect(readFileSync(join(dir, 'copy')).equals(bytes)).toBe(true);
    expect(digest).toBe(digestOf(bytes));
  });

  it('gives the digest of the bytes it wrote: a damaged blob is copied as it is and shows in the digest', async () => {
    const bytes = randomBytes(3 << 20);
    const damaged = Buffer.from(bytes);
    damaged.writeUInt8(damaged.readUInt8((2 << 20) + 7) ^ 0x10, (2 << 20) + 7);
    writeFileSync(join(dir, 'blob'), damaged);
    const digest = await copy(join(dir, 'blob'), join(dir, 'copy'));
    expect(digest).not.toBe(digestOf(bytes));
    expect(digest).toBe(digestOf(readFileSync(join(dir, 'copy'))));
  });

  // /dev/full takes the open and fails every write with ENOSPC: a disk that fills up in the middle of a copy.
  it.runIf(existsSync('/dev/full'))('fails when a write fails, whichever chunk it is', async () => {
    writeFileSync(join(dir, 'blob'), randomBytes(3 << 20));
    await expect(copy(join(dir, 'blob'), '/dev/full')).rejects.toThrow(/ENOSPC/);
  });

  it('fails on a missing blob', async () => {
    await expect(copy(join(dir, 'evicted-blob'), join(dir, 'copy'))).rejects.toThrow(/ENOENT/);
  });
});

describe.each([
  ['cloneOrCopyHashed', cloneOrCopyHashed, 'async'],
  ['cloneOrCopyHashedSync', cloneOrCopyHashedSync, 'sync'],
] as const)('%s', (_name, restoreCopy, kind) => {
  // This machine's file system may not clone: the clone is injected, a plain copy standing in for one.
  const cloner = (refusal?: string) => {
    const calls: string[] = [];
    const clone = (from: string, to: string): void => {
      calls.push(to);
      if (refusal) throw Object.assign(new Error(refusal), { code: refusal });
      copyFileSync(from, to);
    };
    return { calls, clone: kind === 'async' ? async (from: string, to: string) => clone(from, to) : clone };
  };
  const run = async (from: string, to: string, clone: unknown): Promise<string> =>
    (restoreCopy as (from: string, to: string, clone: unknown) => string | Promise<string>)(from, to, clone);

  it('where the file system clones, hashes the clone: a damaged blob shows in the digest', async () => {
    const out = join(dir, 'clones');
    mkdirSync(out);
    const bytes = randomBytes((1 << 20) + 3);
    writeFileSync(join(dir, 'blob'), bytes);
    const { calls, clone } = cloner();
    expect(await run(join(dir, 'blob'), join(out, 'a'), clone)).toBe(digestOf(bytes));
    expect(readFileSync(join(out, 'a')).equals(bytes)).toBe(true);
    bytes.writeUInt8(bytes.readUInt8(5) ^ 1, 5);
    writeFileSync(join(dir, 'blob'), bytes);
    expect(await run(join(dir, 'blob'), join(out, 'b'), clone)).toBe(digestOf(bytes));
    expect(calls).toHaveLength(2);
  });

  it('where it refuses, copies with the hash and does not try that out-dir again; other errors are thrown', async () => {
    const out = join(dir, 'no-clones');
    mkdirSync(out);
    const bytes = randomBytes(300_000);
    writeFileSync(join(dir, 'blob'), bytes);
    const { calls, clone } = cloner('EOPNOTSUPP');
    for (const name of ['a', 'b']) {
      expect(await run(join(dir, 'blob'), join(out, name), clone)).toBe(digestOf(bytes));
      expect(readFileSync(join(out, name)).equals(bytes)).toBe(true);
    }
    expect(calls).toEqual([join(out, 'a')]);

    const elsewhere = join(dir, 'full');
    mkdirSync(elsewhere);
    await expect(run(join(dir, 'blob'), join(elsewhere, 'a'), cloner('ENOSPC').clone)).rejects.toMatchObject({
      code: 'ENOSPC',
    });
  });
});
