import { closeSync, openSync, readSync } from 'node:fs';
import { createContentHash } from './content-hash.js';

let chunk: Buffer | undefined;

/**
 * The content digest of a file's bytes, read synchronously into one reused buffer: for a hashing
 * thread, which has nothing else to do meanwhile, and for the wrapper checking a clone it has just made
 * (read back from the page cache). Either would otherwise leave a megabyte of garbage per chunk read.
 */
export function fileDigestSync(path: string): string {
  const hash = createContentHash();
  chunk ??= Buffer.allocUnsafe(1 << 20);
  const descriptor = openSync(path, 'r');
  try {
    for (let read: number; (read = readSync(descriptor, chunk, 0, chunk.length, null)) > 0; )
      hash.update(chunk.subarray(0, read));
  } finally {
    closeSync(descriptor);
  }
  return hash.digest();
}
