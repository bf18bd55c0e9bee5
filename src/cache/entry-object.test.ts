import { describe, expect, it } from 'vitest';
import { sealOf, ENTRY_FORMAT, type Entry } from './entry.js';
import { CorruptObject, decodeEntryObject, decodeObject, encodeEntryObject, encodeObject } from './entry-object.js';

const KEY = 'ab'.repeat(32);
const blob = Buffer.from('rlib '.repeat(500));

function entry(key = KEY): Entry {
  const described: Omit<Entry, 'seal'> = {
    format: ENTRY_FORMAT,
    outputs: [{ name: 'libdemo.rlib', size: blob.length, digest: '1'.repeat(64), sha256: '2'.repeat(64), mode: 0o644, templated: false, identity: '1:2:3:4:5' }],
    stdout: '',
    stderr: '',
    exitCode: 0,
    durationMs: 10,
    createdAt: '2026-12-03T00:00:00.000Z',
  };
  return { ...described, seal: sealOf(key, described) };
}

describe('cache objects', () => {
  it('round-trips an entry, compressed or not, without the local file identities', async () => {
    for (const level of [0, 1, 3]) {
      const value = await encodeEntryObject(KEY, { entry: entry(), blobs: [blob] }, level);
      if (level > 0) expect(value.length).toBeLessThan(blob.length / 4);
      const decoded = await decodeEntryObject(KEY, value);
      expect(decoded.blobs[0]!.equals(blob)).toBe(true);
      expect(decoded.entry.outputs[0]).not.toHaveProperty('identity');
      expect(decoded.entry.seal).toBe(entry().seal);
    }
  });

  it('refuses every byte flipped, a cut anywhere, another key or kind, as a CorruptObject', async () => {
    const value = await encodeEntryObject(KEY, { entry: entry(), blobs: [blob] }, 3);
    for (let at = 0; at < value.length; at += 7) {
      const flipped = Buffer.from(value);
      flipped[at] = flipped[at]! ^ 1;
      await expect(decodeEntryObject(KEY, flipped)).rejects.toBeInstanceOf(CorruptObject);
    }
    for (const length of [0, 10, 47, 48, value.length - 1]) await expect(decodeEntryObject(KEY, value.subarray(0, length))).rejects.toBeInstanceOf(CorruptObject);
    await expect(decodeEntryObject('cd'.repeat(32), value)).rejects.toThrow(/digest/);
    await expect(decodeObject('m', KEY, value)).rejects.toThrow(/kind/);
    const manifest = await encodeObject('m', KEY, Buffer.from('{"format":1,"entries":[]}'), 3);
    expect((await decodeObject('m', KEY, manifest)).toString()).toBe('{"format":1,"entries":[]}');
  });

  it('refuses an entry sealed for another key or recording a failure, even in a well-formed object', async () => {
    const foreign = await encodeEntryObject(KEY, { entry: entry('cd'.repeat(32)), blobs: [blob] }, 1);
    await expect(decodeEntryObject(KEY, foreign)).rejects.toThrow(/seal/);
    const described = { ...entry(), exitCode: 101 };
    const failed = await encodeEntryObject(KEY, { entry: { ...described, seal: sealOf(KEY, described) }, blobs: [blob] }, 1);
    await expect(decodeEntryObject(KEY, failed)).rejects.toThrow(/exit status 101/);
    // Outputs that do not add up to the body.
    const short = await encodeEntryObject(KEY, { entry: entry(), blobs: [blob.subarray(1)] }, 1);
    await expect(decodeEntryObject(KEY, short)).rejects.toThrow(/cut short/);
  });
});
