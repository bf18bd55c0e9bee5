import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ownsSocketPath, takeSocketPath } from './listener.js';

describe('takeSocketPath', () => {
  let root: string;
  let socketPath: string;
  let servers: Server[];

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'hoard-listener-'));
    socketPath = join(root, 'run', 'server.sock');
    servers = [];
  });

  afterEach(() => {
    for (const server of servers) server.close();
    rmSync(root, { recursive: true, force: true });
  });

  function newServer(): Server {
    const server = createServer((socket) => socket.end());
    servers.push(server);
    return server;
  }

  it('gives the path to exactly one of servers that start at once, and leaves no lock or private socket', async () => {
    const results = await Promise.all(Array.from({ length: 6 }, () => takeSocketPath(newServer(), socketPath)));
    const winners = results.filter((result) => result.taken);
    expect(winners).toHaveLength(1);
    const winner = winners[0] as { taken: true; inode: bigint };
    expect(await ownsSocketPath(socketPath, winner.inode)).toBe(true);
    expect(readdirSync(join(root, 'run'))).toEqual(['server.sock']);
  });

  it('leaves a live server its path', async () => {
    const first = await takeSocketPath(newServer(), socketPath);
    expect(first.taken).toBe(true);
    expect(await takeSocketPath(newServer(), socketPath)).toEqual({ taken: false });
  });

  it('replaces the socket and takes over the start lock a crashed server left', async () => {
    const first = newServer();
    const taken = await takeSocketPath(first, socketPath);
    expect(taken.taken).toBe(true);
    // Closed, the server leaves its socket file behind (it listened under the private name), as a
    // crash would; and a server that died while starting left its lock.
    await new Promise((resolve) => first.close(resolve));
    expect(existsSync(socketPath)).toBe(true);
    const exited = spawnSync(process.execPath, ['-e', '']);
    writeFileSync(`${socketPath}.starting`, `${exited.pid} 1`);
    const second = await takeSocketPath(newServer(), socketPath);
    expect(second.taken).toBe(true);
    expect(existsSync(`${socketPath}.starting`)).toBe(false);
  });

  it('starts unlocked, as before the lock, where the file system refuses hard links', async () => {
    const refuse = async (): Promise<void> => {
      throw Object.assign(new Error('operation not permitted'), { code: 'EPERM' });
    };
    const taken = await takeSocketPath(newServer(), socketPath, refuse);
    expect(taken.taken).toBe(true);
    expect(readdirSync(join(root, 'run'))).toEqual(['server.sock']);
  });
});
