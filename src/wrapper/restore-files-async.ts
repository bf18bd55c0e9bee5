import { constants } from 'node:fs';
import { chmod, copyFile, open, rename, rm, stat } from 'node:fs/promises';
import { fileIdentity } from '../fs/file-identity.js';
import { cloneOrCopyHashed } from '../fs/hashed-copy.js';
import type { RestoreFile } from '../protocol/messages.js';
import { CorruptCopy } from './restore-files.js';

let sequence = 0;

/**
 * restoreFiles (restore-files.ts) without blocking the caller's event loop: for the server, which writes
 * the fast path's hits and keeps answering others while a large copy runs (its reads and writes in the
 * thread pool, its hashing in steps). The same checks: every copy's digest, each file under a temporary
 * name renamed into place, no temporary file left behind. A file is put in place only while `wanted` says so (a copy
 * may outlast the caller's wait for it); otherwise it is not, and this throws.
 */
export async function restoreFilesAsync(
  files: readonly RestoreFile[],
  wanted: () => boolean = () => true,
): Promise<string[]> {
  // Side by side: one file's chunks are read and written in the thread pool while another's are hashed.
  // All are settled before a failure is reported, so none lands after the caller has moved on.
  const settled = await Promise.allSettled(files.map((file) => restoreOne(file, wanted)));
  const failed = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<string>).value);
}

async function restoreOne(file: RestoreFile, wanted: () => boolean): Promise<string> {
  // Restores run side by side in one process: each temporary name is its own.
  const temporary = `${file.path}.hoard-${process.pid}-a${(sequence += 1)}`;
  try {
    if ('from' in file) {
      // What lands in the out-dir is what was hashed: the bytes are checked on their way into the copy.
      if (file.digest === undefined) await copyFile(file.from, temporary, constants.COPYFILE_FICLONE);
      else if ((await cloneOrCopyHashed(file.from, temporary)) !== file.digest) throw new CorruptCopy(file.path);
    } else {
      const handle = await open(temporary, 'w');
      try {
        await handle.writeFile(file.text);
      } finally {
        await handle.close();
      }
    }
    if (file.mode !== undefined) await chmod(temporary, file.mode);
    if (!wanted()) throw new Error(`${file.path} is no longer wanted: its caller went on without it`);
    await rename(temporary, file.path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return fileIdentity(await stat(file.path, { bigint: true }));
}
