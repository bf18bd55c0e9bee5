import { chmodSync, constants, copyFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { fileIdentity } from '../fs/file-identity.js';
import type { RestoreFile } from '../protocol/messages.js';

/**
 * Writes a hit's files (see HitReply), each beside its place and renamed into it, so a reader never
 * sees half of one. Synchronous: the wrapper has nothing else to do meanwhile, and a copy in this
 * process runs beside the other compiles' instead of queueing in the server. Returns each file's
 * identity once in place; throws, leaving no temporary file, if one cannot be written.
 */
export function restoreFiles(files: readonly RestoreFile[]): string[] {
  return files.map((file, index) => {
    const temporary = `${file.path}.hoard-${process.pid}-${index}`;
    try {
      if ('from' in file) copyFileSync(file.from, temporary, constants.COPYFILE_FICLONE);
      else writeFileSync(temporary, file.text);
      if (file.mode !== undefined) chmodSync(temporary, file.mode);
      renameSync(temporary, file.path);
    } catch (error) {
      rmSync(temporary, { force: true });
      throw error;
    }
    return fileIdentity(statSync(file.path, { bigint: true }));
  });
}
