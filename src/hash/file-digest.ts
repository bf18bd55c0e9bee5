import { createReadStream } from 'node:fs';
import { contentDigest, createContentHash } from '../fs/content-hash.js';

/*
 * A file's digest (BLAKE3 of its bytes; see src/hash/blake3.ts and src/fs/content-hash.ts). The
 * hashing threads load this module alone, not the key hashing around it.
 */

/** The digest of a file's bytes (see digestFile), for bytes already in memory. */
export const digestContent = contentDigest;

/** Streams the file through the hash on the calling thread. */
export async function digestFileHere(path: string): Promise<string> {
  const hash = createContentHash();
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest();
}

/** The same digest, read synchronously into one reused buffer (for a hashing thread). */
export { fileDigestSync as digestFileSync } from '../fs/file-digest-sync.js';
