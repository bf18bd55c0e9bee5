import { closeSync, constants, copyFileSync, openSync, readSync, writeSync } from 'node:fs';
import { copyFile, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createContentHash } from './content-hash.js';
import { fileDigestSync } from './file-digest-sync.js';

/**
 * Copies of a file that hash the very bytes they write, for a restore's check (docs/decisions.md): each
 * chunk is read once into memory, hashed, and that same buffer written, so what lands in the new file is
 * exactly what was hashed, without reading the copy back. The caller compares the digest it returns with
 * the recorded one and removes the copy on a mismatch; nothing else is checked here.
 */

/** Small enough to stay in a core's cache between the read, the hash and the write. */
const CHUNK = 256 << 10;
/** Chunks in flight per copy: one being read, one hashed, the others being written. */
const BUFFERS = 4;

/**
 * The copy for the server: reads and writes are trips through the thread pool, overlapped so that the
 * next chunk is read and the last ones written while this one is hashed on the calling thread (a step
 * well under a millisecond, so the event loop keeps turning). Returns the content digest of what was written.
 */
export async function copyFileHashed(from: string, to: string): Promise<string> {
  const hash = createContentHash();
  const source = await open(from, 'r');
  try {
    const target = await open(to, 'w');
    // Writes never reject: their failures are kept here, and the first is thrown.
    const failures: unknown[] = [];
    const writing = new Set<Promise<void>>();
    try {
      const free = Array.from({ length: BUFFERS }, () => Buffer.allocUnsafe(CHUNK));
      let position = 0;
      let reading = source.read(free.pop()!, 0, CHUNK, 0);
      for (;;) {
        const { bytesRead, buffer } = await reading;
        if (bytesRead === 0) break;
        const at = position;
        position += bytesRead;
        if (failures.length > 0) throw failures[0];
        if (free.length === 0) await Promise.race(writing);
        if (failures.length > 0) throw failures[0];
        reading = source.read(free.pop()!, 0, CHUNK, position);
        hash.update(buffer.subarray(0, bytesRead));
        const write: Promise<void> = writeAll(target, buffer, bytesRead, at).then(
          () => {
            writing.delete(write);
            free.push(buffer);
          },
          (error: unknown) => {
            writing.delete(write);
            failures.push(error);
          },
        );
        writing.add(write);
      }
      while (writing.size > 0) await Promise.all(writing);
      if (failures.length > 0) throw failures[0];
    } finally {
      // Nothing may still write into the file once the caller removes it.
      while (writing.size > 0) await Promise.all(writing);
      await target.close();
    }
  } finally {
    await source.close();
  }
  return hash.digest();
}

async function writeAll(target: FileHandle, buffer: Buffer, length: number, position: number): Promise<void> {
  for (let written = 0; written < length; ) {
    const { bytesWritten } = await target.write(buffer, written, length - written, position + written);
    written += bytesWritten;
  }
}

let chunk: Buffer | undefined;

/** The same copy for the wrapper, which has nothing else to do meanwhile: one reused buffer, in turn. */
export function copyFileHashedSync(from: string, to: string): string {
  const hash = createContentHash();
  chunk ??= Buffer.allocUnsafe(1 << 20);
  const source = openSync(from, 'r');
  try {
    const target = openSync(to, 'w');
    try {
      for (let read: number; (read = readSync(source, chunk, 0, chunk.length, null)) > 0; ) {
        hash.update(chunk.subarray(0, read));
        for (let written = 0; written < read; ) written += writeSync(target, chunk, written, read - written);
      }
    } finally {
      closeSync(target);
    }
  } finally {
    closeSync(source);
  }
  return hash.digest();
}

/**
 * Answers of a clone (FICLONE) where the file system cannot share extents between the two paths: ext4,
 * tmpfs, two file systems. Any other error is the copy's own and is thrown.
 */
const NO_CLONE_HERE = new Set(['ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EINVAL', 'ENOSYS', 'ENOTTY']);

/** Clones a file, sharing its extents (btrfs, XFS); throws one of NO_CLONE_HERE where it cannot. */
export type Clone = (from: string, to: string) => Promise<void>;
export type CloneSync = (from: string, to: string) => void;

const cloneFile: Clone = (from, to) => copyFile(from, to, constants.COPYFILE_FICLONE_FORCE);
const cloneFileSync: CloneSync = (from, to) => copyFileSync(from, to, constants.COPYFILE_FICLONE_FORCE);

/** Out-dirs whose file system refused a clone: there, restores go straight to the hashed copy. */
const cloneRefused = new Set<string>();

function refusesClones(error: unknown, to: string): boolean {
  if (!NO_CLONE_HERE.has((error as NodeJS.ErrnoException).code ?? '')) return false;
  cloneRefused.add(dirname(to));
  return true;
}

/**
 * A restore's copy and its digest. Where the file system clones, the clone shares the blob's blocks
 * (no bytes written, no space taken in target/), and reading it for the digest reads those very blocks;
 * elsewhere, the hashed copy. Either way the digest is of what is now at `to`.
 */
export async function cloneOrCopyHashed(from: string, to: string, clone: Clone = cloneFile): Promise<string> {
  if (!cloneRefused.has(dirname(to))) {
    try {
      await clone(from, to);
      return await fileDigest(to);
    } catch (error) {
      if (!refusesClones(error, to)) throw error;
    }
  }
  return copyFileHashed(from, to);
}

export function cloneOrCopyHashedSync(from: string, to: string, clone: CloneSync = cloneFileSync): string {
  if (!cloneRefused.has(dirname(to))) {
    try {
      clone(from, to);
      return fileDigestSync(to);
    } catch (error) {
      if (!refusesClones(error, to)) throw error;
    }
  }
  return copyFileHashedSync(from, to);
}

/** The content digest of a file read in chunks through the thread pool, each hash step under a millisecond. */
async function fileDigest(path: string): Promise<string> {
  const hash = createContentHash();
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  return hash.digest();
}
