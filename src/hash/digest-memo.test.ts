import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { digestFile } from './blake3.js';
import { countingMemo, writeSettled } from './test-factory.js';

describe('DigestMemo', () => {
  it('hashes a file once while it is unchanged, and again once it changed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hoard-memo-'));
    const file = join(dir, 'lib.rs');
    writeSettled(file, 'pub fn one() {}');
    const { memo, hashed } = countingMemo();
    const first = await memo.digest(file);
    expect(await memo.digest(file)).toBe(first);
    expect(hashed).toHaveLength(1);
    writeSettled(file, 'pub fn two() {}');
    expect(await memo.digest(file)).not.toBe(first);
    expect(hashed).toHaveLength(2);
    expect(await memo.digest(join(dir, 'absent.rs'))).toBeUndefined();
  });

  it('tells a digest at once only when it knows it for the file as it is now', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hoard-memo-'));
    const file = join(dir, 'a.h');
    writeSettled(file, '#define A 1');
    const { memo, hashed } = countingMemo();
    expect(memo.digestNow(join(dir, 'absent.h'))).toBeNull();
    expect(memo.digestNow(file)).toBeUndefined();
    const digest = await memo.digest(file);
    expect(memo.digestNow(file)).toBe(digest);
    writeSettled(file, '#define A 2');
    expect(memo.digestNow(file)).toBeUndefined();
    expect(hashed).toEqual([file]);
  });

  it('carries what it knows to a later server, which hashes only the files changed meanwhile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hoard-memo-'));
    const [kept, edited] = [join(dir, 'kept.rs'), join(dir, 'edited.rs')];
    writeSettled(kept, 'kept');
    writeSettled(edited, 'edited, first');
    const before = countingMemo();
    const keptDigest = await before.memo.digest(kept);
    await before.memo.digest(edited);
    await before.memo.save(join(dir, 'digests.json'));
    writeSettled(edited, 'edited, second');
    const after = countingMemo();
    await after.memo.load(join(dir, 'digests.json'));
    expect(await after.memo.digest(kept)).toBe(keptDigest);
    expect(await after.memo.digest(edited)).toBe(await digestFile(edited));
    expect(after.hashed).toEqual([edited]);
  });

  it('hashes a file modified within the last timestamp tick every time: a second write in the same tick would not show', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hoard-memo-'));
    const file = join(dir, 'generated.rs');
    writeFileSync(file, 'const A: u8 = 1;');
    // A whole-second mtime, as filesystems with one-second timestamps give: fresh for two seconds.
    const thisSecond = Math.floor(Date.now() / 1000);
    utimesSync(file, thisSecond, thisSecond);
    const { memo, hashed } = countingMemo();
    await memo.digest(file);
    await memo.digest(file);
    expect(hashed).toHaveLength(2);
    // The same file a minute later is remembered.
    writeSettled(file, 'const A: u8 = 1;');
    await memo.digest(file);
    await memo.digest(file);
    expect(hashed).toHaveLength(3);
  });

  it('starts empty from a missing or unreadable file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hoard-memo-'));
    const file = join(dir, 'kept.rs');
    writeFileSync(file, 'kept');
    writeFileSync(join(dir, 'digests.json'), '{"format":1,"known":[["x"]');
    const { memo, hashed } = countingMemo();
    await memo.load(join(dir, 'digests.json'));
    await memo.load(join(dir, 'missing.json'));
    await memo.digest(file);
    expect(hashed).toEqual([file]);
  });
});
