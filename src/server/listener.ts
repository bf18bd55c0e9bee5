import { makeDirectory } from '../fs/make-directory.js';
import { processRuns } from '../fs/process-runs.js';
import { link, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { connect, type Server } from 'node:net';
import { dirname } from 'node:path';
import { assertRendezvous, parentProblem, UntrustedRendezvous } from '../protocol/rendezvous.js';

function isLive(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    const done = (live: boolean): void => {
      socket.destroy();
      resolve(live);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    setTimeout(() => done(false), 1000).unref();
  });
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** How long a starting server waits for another one that is taking the socket path before going ahead. */
const START_LOCK_WAIT_MS = 3000;
const START_LOCK_POLL_MS = 10;
/** Names of this process's private sockets and lock files: unique per attempt, not only per process. */
let attempts = 0;

/**
 * Holds `<socket>.starting` while a server decides whether the socket path is its own: servers that
 * start together (every job of a cold `make -j` starts one) take turns, and all but the first find a
 * live server and leave before they serve anything. A server that served beside the winner would count
 * its compiles into statistics the winner's next save overwrites. The lock file is linked into place
 * with its holder's pid already in it; a holder that is gone (or a zombie), or that holds it for longer
 * than the wait, is taken over.
 */
async function holdStartLock(socketPath: string, linkFile: typeof link): Promise<() => Promise<void>> {
  const lockPath = `${socketPath}.starting`;
  const token = `${process.pid} ${++attempts}`;
  const written = `${lockPath}.${process.pid}.${attempts}`;
  await writeFile(written, token, { mode: 0o600 });
  try {
    const deadline = Date.now() + START_LOCK_WAIT_MS;
    for (;;) {
      try {
        await linkFile(written, lockPath);
        break;
      } catch (error) {
        // A file system without hard links: the start goes on unlocked, as before the lock.
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return async () => undefined;
      }
      const holder = Number.parseInt(await readFile(lockPath, 'utf8').catch(() => ''), 10);
      if ((Number.isInteger(holder) && !processRuns(holder)) || Date.now() > deadline)
        await rm(lockPath, { force: true });
      else await new Promise((resolve) => setTimeout(resolve, START_LOCK_POLL_MS));
    }
  } finally {
    await rm(written, { force: true });
  }
  return async () => {
    if ((await readFile(lockPath, 'utf8').catch(() => '')) === token) await rm(lockPath, { force: true });
  };
}

/**
 * Takes the socket path unless a live server holds it. The socket is bound under a private name and
 * renamed into place, so a client never connects to a half-started server; a stale socket left by a
 * crash is simply replaced. Servers starting at once take turns (holdStartLock). Should two still both
 * serve (a lock taken over from a hung holder), the loser notices that the path is no longer its own
 * (ownsSocketPath) and leaves.
 */
export async function takeSocketPath(
  server: Server,
  socketPath: string,
  linkFile: typeof link = link,
): Promise<{ taken: true; inode: bigint } | { taken: false }> {
  // Made private, or found private: never chmod-ed, as what is there may be someone else's (or a link to it).
  await makeDirectory(dirname(socketPath), 0o700);
  assertRendezvous(dirname(socketPath));
  const parent = parentProblem(dirname(dirname(socketPath)));
  if (parent) throw new UntrustedRendezvous(parent, dirname(socketPath));
  if (await isLive(socketPath)) return { taken: false };
  const release = await holdStartLock(socketPath, linkFile);
  try {
    if (await isLive(socketPath)) return { taken: false };
    const privatePath = `${socketPath}.${process.pid}.${++attempts}`;
    await rm(privatePath, { force: true });
    await listen(server, privatePath);
    await rename(privatePath, socketPath);
    return { taken: true, inode: (await stat(socketPath, { bigint: true })).ino };
  } finally {
    await release();
  }
}

export async function ownsSocketPath(socketPath: string, inode: bigint): Promise<boolean> {
  try {
    return (await stat(socketPath, { bigint: true })).ino === inode;
  } catch {
    return false;
  }
}

/** Removes the socket path if it is still this server's, so the next client starts a new server. */
export async function releaseSocketPath(socketPath: string, inode: bigint): Promise<void> {
  if (await ownsSocketPath(socketPath, inode)) await rm(socketPath, { force: true });
}
