import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sealOf, ENTRY_FORMAT, type Entry } from './entry.js';
import {
  CorruptObject,
  decodeEntryObject,
  decodeObject,
  encodeEntryObject,
  encodeObject,
  MAX_OBJECT_BODY_BYTES,
  NewerObject,
} from './entry-object.js';
import { zstdFrameBound } from './zstd-bound.js';

/** An object of layout 1, zstd-compressed, around `payload`, declaring `length` body bytes (its digest is never reached). */
function objectWith(payload: Buffer, length: number, kind = 'e'): Buffer {
  const header = Buffer.alloc(48);
  header.write('HOARDOBJ', 0, 'latin1');
  header[8] = 1;
  header[9] = kind.charCodeAt(0);
  header[10] = 1;
  header.writeUInt32BE(length, 12);
  return Buffer.concat([header, payload]);
}

const KEY = 'ab'.repeat(32);
const blob = Buffer.from('rlib '.repeat(500));

function entry(key = KEY): Entry {
  const described: Omit<Entry, 'seal'> = {
    format: ENTRY_FORMAT,
    outputs: [
      {
        name: 'libdemo.rlib',
        size: blob.length,
        digest: '1'.repeat(64),
        mode: 0o644,
        templated: false,
        identity: '1:2:3:4:5',
      },
    ],
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

  it('compresses at the level asked for', async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `item ${(i * 7919) % 1000} value ${(i * 31) % 97}\n`);
    const body = Buffer.from(lines.join(''));
    const sizes = await Promise.all([1, 19].map(async (level) => (await encodeObject('m', KEY, body, level)).length));
    expect(sizes[1]).toBeLessThan(sizes[0]! * 0.9);
    // Levels from 16 split blocks, which a bound by block headers alone would take for a zstd bomb.
    for (const level of [1, 16, 19]) {
      const value = await encodeObject('m', KEY, body, level);
      expect(zstdFrameBound(value.subarray(48))).toMatchObject({ declaredBytes: body.length, singleSegment: true });
      expect((await decodeObject('m', KEY, value)).equals(body)).toBe(true);
    }
  });

  it('refuses every byte flipped, a cut anywhere, another key or kind, as a CorruptObject', async () => {
    const value = await encodeEntryObject(KEY, { entry: entry(), blobs: [blob] }, 3);
    for (let at = 0; at < value.length; at += 7) {
      const flipped = Buffer.from(value);
      flipped[at] = flipped[at]! ^ 1;
      await expect(decodeEntryObject(KEY, flipped)).rejects.toBeInstanceOf(CorruptObject);
    }
    for (const length of [0, 10, 47, 48, value.length - 1])
      await expect(decodeEntryObject(KEY, value.subarray(0, length))).rejects.toBeInstanceOf(CorruptObject);
    await expect(decodeEntryObject('cd'.repeat(32), value)).rejects.toThrow(/digest/);
    await expect(decodeObject('m', KEY, value)).rejects.toThrow(/kind/);
    const manifest = await encodeObject('m', KEY, Buffer.from('{"format":1,"entries":[]}'), 3);
    expect((await decodeObject('m', KEY, manifest)).toString()).toBe('{"format":1,"entries":[]}');
  });

  it('refuses a flipped byte of an uncompressed object, and a compression byte changed to none', async () => {
    const value = await encodeEntryObject(KEY, { entry: entry(), blobs: [blob] }, 0);
    // From byte 9: a flipped layout byte reads as a newer layout, a miss all the same (below).
    for (let at = 9; at < value.length; at += 5) {
      const flipped = Buffer.from(value);
      flipped[at] = flipped[at]! ^ 1;
      await expect(decodeEntryObject(KEY, flipped)).rejects.toBeInstanceOf(CorruptObject);
    }
    const compressed = await encodeObject('m', KEY, Buffer.from('{}'), 3);
    compressed[10] = 0;
    await expect(decodeObject('m', KEY, compressed)).rejects.toThrow(/digest/);
  });

  it('still reads objects of layout 1, whose digest is of the decompressed body, and refuses them damaged', async () => {
    const body = Buffer.from('{"format":1,"entries":[]}');
    const layoutOne = await encodeObject('m', KEY, body, 3);
    layoutOne[8] = 1;
    createHash('sha256').update(`hoard-object-1\0m\0${KEY}\0`).update(body).digest().copy(layoutOne, 16);
    expect((await decodeObject('m', KEY, layoutOne)).equals(body)).toBe(true);
    await expect(decodeObject('m', 'cd'.repeat(32), layoutOne)).rejects.toThrow(/digest/);
    const flipped = Buffer.from(layoutOne);
    flipped[20] = flipped[20]! ^ 1;
    await expect(decodeObject('m', KEY, flipped)).rejects.toThrow(/digest/);
    const future = Buffer.from(layoutOne);
    future[8] = 3;
    await expect(decodeObject('m', KEY, future)).rejects.toBeInstanceOf(NewerObject);
    for (const damaged of [0, 16, 130]) {
      future[8] = damaged;
      await expect(decodeObject('m', KEY, future)).rejects.toBeInstanceOf(CorruptObject);
    }
  });

  it('refuses an entry sealed for another key or recording a failure, even in a well-formed object', async () => {
    const foreign = await encodeEntryObject(KEY, { entry: entry('cd'.repeat(32)), blobs: [blob] }, 1);
    await expect(decodeEntryObject(KEY, foreign)).rejects.toThrow(/seal/);
    const described = { ...entry(), exitCode: 101 };
    const failed = await encodeEntryObject(
      KEY,
      { entry: { ...described, seal: sealOf(KEY, described) }, blobs: [blob] },
      1,
    );
    await expect(decodeEntryObject(KEY, failed)).rejects.toThrow(/exit status 101/);
    // Outputs that do not add up to the body.
    const short = await encodeEntryObject(KEY, { entry: entry(), blobs: [blob.subarray(1)] }, 1);
    await expect(decodeEntryObject(KEY, short)).rejects.toThrow(/cut short/);
  });

  it('refuses a zstd bomb before decompressing it: a payload that could regenerate more than its header declares', async () => {
    // 2,000 RLE blocks of 128 KiB each: 8 kB that decompress to 256 MiB, under a header declaring 1 kB.
    const blocks = Array.from({ length: 2000 }, (_, index) => {
      const block = Buffer.alloc(4);
      block.writeUIntLE(((128 * 1024) << 3) | (1 << 1) | (index === 1999 ? 1 : 0), 0, 3);
      block[3] = 0x61;
      return block;
    });
    const frame = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58]), ...blocks]);
    const bomb = objectWith(frame, 1000);
    await expect(decodeObject('e', KEY, bomb)).rejects.toThrow(/more than the 1000 bytes its header declares/);
    // A windowed frame that declares the header's size: zstd would check that only at its end, having
    // regenerated all of it in a buffer that wraps, so the block bound refuses it first.
    const contentSize = Buffer.alloc(4);
    contentSize.writeUInt32LE(1 << 20);
    const windowed = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x80, 7 << 3]), contentSize, ...blocks]);
    expect(zstdFrameBound(windowed)).toMatchObject({ declaredBytes: 1 << 20, singleSegment: false });
    await expect(decodeObject('e', KEY, objectWith(windowed, 1 << 20))).rejects.toThrow(/a zstd bomb/);
    // A single-segment frame is held to its declared size by zstd: the blocks' 256 MiB never arrive.
    const single = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xa0]), contentSize, ...blocks]);
    expect(zstdFrameBound(single)).toMatchObject({ declaredBytes: 1 << 20, singleSegment: true });
    await expect(decodeObject('e', KEY, objectWith(single, 1 << 20))).rejects.toThrow(/does not decompress/);
    // Declared as large as it is: still refused, as larger than any cache object may be.
    await expect(decodeObject('e', KEY, objectWith(frame, MAX_OBJECT_BODY_BYTES + 1))).rejects.toBeInstanceOf(
      CorruptObject,
    );
    // Not one zstd frame: two frames, or bytes after the frame.
    const honest = (await encodeObject('m', KEY, Buffer.from('{}'), 3)).subarray(48);
    await expect(decodeObject('m', KEY, objectWith(Buffer.concat([honest, honest]), 4, 'm'))).rejects.toThrow(
      /after the zstd frame/,
    );
  });
});
