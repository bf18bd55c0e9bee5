import { chmodSync, constants, copyFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { fileIdentity } from '../fs/file-identity.js';
import { cloneOrCopyHashedSync } from '../fs/hashed-copy.js';
import { PROTOCOL_VERSION, type HitReply, type RestoreFile } from '../protocol/messages.js';
import type { Connection } from '../client/connection.js';
import { filesOutsidePlaces, outputPlaces } from './reply-bounds.js';
import { writeOutput } from './sync-io.js';

/** A copy whose bytes are not the ones the entry recorded: the cached blob is damaged. */
export class CorruptCopy extends Error {
  constructor(path: string) {
    super(`the cached copy of ${path} does not match its recorded digest (a damaged cache file); it was removed`);
    this.name = 'CorruptCopy';
  }
}

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
      if ('from' in file) {
        // What reaches the out-dir is what was hashed: each chunk is hashed and that same buffer written,
        // so bit rot under an unchanged file identity shows here, whatever the cache's identity says.
        if (file.digest === undefined) copyFileSync(file.from, temporary, constants.COPYFILE_FICLONE);
        else if (cloneOrCopyHashedSync(file.from, temporary) !== file.digest) throw new CorruptCopy(file.path);
      } else writeFileSync(temporary, file.text);
      if (file.mode !== undefined) chmodSync(temporary, file.mode);
      renameSync(temporary, file.path);
    } catch (error) {
      rmSync(temporary, { force: true });
      throw error;
    }
    return fileIdentity(statSync(file.path, { bigint: true }));
  });
}

/**
 * A hit's files written and reported to the server (`restored`, or `restore-failed`). Returns why they
 * could not be written, for the wrapper to compile instead; a server gone meanwhile is no such reason,
 * as the files are in place all the same.
 */
export function restoreHit(
  connection: Pick<Connection, 'send'>,
  files: readonly RestoreFile[],
): RestoreFailure | undefined {
  let identities: string[];
  try {
    identities = restoreFiles(files);
  } catch (error) {
    const message = (error as Error).message;
    const corrupt = error instanceof CorruptCopy;
    tell(connection, { v: PROTOCOL_VERSION, type: 'restore-failed', message, ...(corrupt ? { corrupt } : {}) });
    return { failure: message, corrupt };
  }
  tell(connection, { v: PROTOCOL_VERSION, type: 'restored', identities });
  return undefined;
}

function tell(connection: Pick<Connection, 'send'>, message: Parameters<Connection['send']>[0]): void {
  try {
    connection.send(message);
  } catch {
    // The server is gone: it learns nothing, and the build goes on.
  }
}

/** Why a hit's files could not be written; `corrupt`: a cached blob is damaged, and the server answers with `run`. */
export interface RestoreFailure {
  failure: string;
  corrupt: boolean;
}

/**
 * A hit replayed: its files written, the compiler's output repeated, and the connection left for the
 * process to end. Gives the compiler's exit code, or why the files could not be written (the caller
 * then compiles instead; after a corrupt copy, as the server's `run` says, so the entry is replaced).
 */
export function replayHit(
  connection: Connection,
  reply: HitReply,
  call: { cwd: string; args: readonly string[] },
): { exitCode: number } | RestoreFailure {
  if (reply.files.length > 0) {
    const outside = filesOutsidePlaces(reply.files, call.cwd, outputPlaces(call.cwd, call.args));
    if (outside !== undefined) {
      tell(connection, { v: PROTOCOL_VERSION, type: 'restore-failed', message: `refused: ${outside}` });
      return { failure: `refused: ${outside}`, corrupt: false };
    }
    const failed = restoreHit(connection, reply.files);
    if (failed !== undefined) return failed;
  }
  connection.leave();
  writeOutput(1, Buffer.from(reply.stdout, 'base64'));
  writeOutput(2, Buffer.from(reply.stderr, 'base64'));
  return { exitCode: reply.exitCode };
}
