/*
 * Real servers for the remote-cache tests, each on a free loopback port, each with a stop() that
 * removes what it made: redis-server (Debian's), an S3 server that checks SigV4 signatures
 * (@20minutes/s3rver), and the misbehaving ones a remote can turn into (a listener that accepts and
 * never answers, one that answers garbage, a closed port).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Running {
  port: number;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForPort(port: number, child: ChildProcess, deadlineMs = 10_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`the server exited with status ${child.exitCode} before listening on ${port}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing listened on ${port} within ${deadlineMs} ms`);
}

export interface RedisOptions {
  /** `requirepass`: the default user's password. */
  password?: string;
  /** Extra ACL users, as `user` directives: `reader on >pw ~hoard:* +get +getex`. */
  users?: string[];
  maxmemory?: string;
  /** A node of a Redis Cluster (joined with `redis-cli --cluster create`). */
  cluster?: boolean;
}

/** A redis-server of its own: no persistence, in a temporary directory. */
export async function startRedis(options: RedisOptions = {}): Promise<Running & { pid: number }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'hoard-redis-'));
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--daemonize',
    'no',
  ];
  if (options.password) args.push('--requirepass', options.password);
  for (const user of options.users ?? []) args.push('--user', ...user.split(' '));
  if (options.cluster) args.push('--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf'));
  if (options.maxmemory) args.push('--maxmemory', options.maxmemory, '--maxmemory-policy', 'allkeys-lru');
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', () => undefined);
  try {
    await waitForPort(port, child);
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`redis-server did not start (apt-get install redis-server): ${(error as Error).message}`);
  }
  return {
    port,
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const S3_ACCESS_KEY = 'S3RVER';
export const S3_SECRET_KEY = 'S3RVER';

/** An S3 server that checks request signatures (the key pair above), with the buckets named. */
export async function startS3(buckets: string[]): Promise<Running & { directory: string }> {
  const require = createRequire(import.meta.url);
  const S3rver = require('@20minutes/s3rver') as new (
    options: Record<string, unknown>,
  ) => { run(): Promise<{ port: number }>; close(): Promise<void> };
  const directory = mkdtempSync(join(tmpdir(), 'hoard-s3-'));
  const port = await freePort();
  const server = new S3rver({
    port,
    address: '127.0.0.1',
    directory,
    silent: true,
    configureBuckets: buckets.map((name) => ({ name, configs: [] })),
  });
  await server.run();
  return {
    port,
    directory,
    async stop() {
      await server.close().catch(() => undefined);
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

function listenWith(onConnection: (socket: Socket) => void): Promise<Running> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    onConnection(socket);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as { port: number }).port,
        async stop() {
          for (const socket of sockets) socket.destroy();
          await new Promise((done) => server.close(done));
        },
      });
    });
  });
}

/** Accepts connections and never says a word. */
export function startSilentListener(): Promise<Running> {
  return listenWith(() => undefined);
}

/** Answers anything with bytes that are neither HTTP nor RESP. */
export function startGarbageServer(): Promise<Running> {
  return listenWith((socket) => {
    socket.on('data', () => socket.write(Buffer.from('\x00\xff garbage \x01\x02\r\n\x7f')));
  });
}

/** A port nothing listens on (free a moment ago). */
export async function closedPort(): Promise<number> {
  return freePort();
}
