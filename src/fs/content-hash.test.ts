import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { contentDigest, contentHashName, createContentHash, loadNative, loadWasm } from './content-hash.js';

/** BLAKE3's published test vectors are of this input: bytes 0, 1, …, 250, 0, 1, … */
const vectorInput = (length: number): Buffer => Buffer.from(Array.from({ length }, (_, index) => index % 251));

describe('content digests', () => {
  const implementations = [loadWasm(), loadNative()].filter((found) => found !== undefined);

  it('loads the native addon where the registry has one for this platform', () => {
    if (process.platform === 'linux' && process.arch === 'x64') expect(loadNative()?.name).toBe('native');
    expect(contentHashName()).toBe(loadNative() ? 'native' : 'wasm');
  });

  it.each(implementations.map((found) => [found.name, found] as const))('%s: BLAKE3, as published', (_name, found) => {
    const digest = (data: Buffer): string => {
      const hash = found.create();
      hash.update(data);
      return hash.digest();
    };
    expect(digest(vectorInput(0))).toBe('af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262');
    expect(digest(vectorInput(1))).toBe('2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213');
    expect(digest(vectorInput(1025))).toBe('d00278ae47eb27b34faecf67b4fe263f82d5412916c1ffd97c8cb7fb814b8444');
  });

  it('gives the same digest from either implementation, whole or in chunks of any size', () => {
    const data = randomBytes((3 << 20) + 12_345);
    const whole = contentDigest(data);
    for (const found of implementations) {
      for (const chunk of [1, 1000, 1024, 64 << 10, 1 << 20]) {
        // A thousand chunks at most: the one-byte ones hash a prefix.
        const part = data.subarray(0, Math.min(data.length, chunk * 1000));
        const hash = found.create();
        for (let offset = 0; offset < part.length; offset += chunk) hash.update(part.subarray(offset, offset + chunk));
        expect(hash.digest()).toBe(contentDigest(part));
      }
      const hash = found.create();
      hash.update(data);
      expect(hash.digest()).toBe(whole);
    }
    const streamed = createContentHash();
    streamed.update(data.subarray(0, 7));
    streamed.update(data.subarray(7));
    expect(streamed.digest()).toBe(whole);
  });
});
