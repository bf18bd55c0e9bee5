import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/*
 * A file's digest (its sha256; see src/hash/blake3.ts), without BLAKE3: the hashing threads load this
 * and not blake3-wasm, whose module each of them would otherwise compile for nothing.
 */

/** The digest of a file's bytes (see digestFile), for bytes already in memory. */
export function digestContent(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Streams the file through the hash on the calling thread. */
export async function digestFileHere(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The same digest, read synchronously into one reused buffer (for a hashing thread). */
export { fileSha256Sync as digestFileSync } from '../fs/file-sha256.js';
