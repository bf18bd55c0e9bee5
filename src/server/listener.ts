import { makeDirectory } from '../fs/make-directory.js';
import { rename, rm, stat } from 'node:fs/promises';
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

/**
 * Takes the socket path unless a live server holds it. The socket is bound under a private name and
 * renamed into place, so a client never connects to a half-started server; a stale socket left by a
 * crash is simply replaced. Two servers starting at once can both get here: the loser notices later
 * that the path is no longer its own (ownsSocketPath) and leaves.
 */
export async function takeSocketPath(
  server: Server,
  socketPath: string,
): Promise<{ taken: true; inode: bigint } | { taken: false }> {
  // Made private, or found private: never chmod-ed, as what is there may be someone else's (or a link to it).
  await makeDirectory(dirname(socketPath), 0o700);
  assertRendezvous(dirname(socketPath));
  const parent = parentProblem(dirname(dirname(socketPath)));
  if (parent) throw new UntrustedRendezvous(parent, dirname(socketPath));
  if (await isLive(socketPath)) return { taken: false };
  const privatePath = `${socketPath}.${process.pid}`;
  await rm(privatePath, { force: true });
  await listen(server, privatePath);
  if (await isLive(socketPath)) {
    server.close();
    await rm(privatePath, { force: true });
    return { taken: false };
  }
  await rename(privatePath, socketPath);
  return { taken: true, inode: (await stat(socketPath, { bigint: true })).ino };
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
