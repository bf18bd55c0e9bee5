import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { attachDecoder, encodeFrame } from '../../src/protocol/framing.js';
import { PROTOCOL_VERSION, type ServerMessage } from '../../src/protocol/messages.js';
import { REPO } from '../e2e/harness.js';

/** A hoard server of its own (HOARD_DIR in a temporary directory), run in the foreground by a test. */
export interface TestServer {
  dir: string;
  socketPath: string;
  lanesDir: string;
  env: Record<string, string>;
  pid: number;
  /** Resident memory of the server, in bytes (Linux). */
  rss(): number;
  stop(): Promise<void>;
}

export async function startServer(extraEnv: Record<string, string> = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'hoard-fault-server-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH!,
    HOME: dir,
    HOARD_DIR: dir,
    XDG_CONFIG_HOME: join(dir, 'config'),
    ...extraEnv,
  };
  const child: ResultPromise = execa(process.execPath, [join(REPO, 'dist', 'server.mjs'), '--foreground'], {
    env,
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
  });
  const socketPath = join(dir, 'run', 'server.sock');
  for (let attempt = 0; !existsSync(socketPath); attempt += 1) {
    if (attempt > 400 || child.exitCode !== null) throw new Error(`the server did not start: ${(await child).stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return {
    dir,
    socketPath,
    lanesDir: join(dir, 'run', `lanes-p${PROTOCOL_VERSION}`),
    env,
    pid: child.pid!,
    rss: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) * 1024,
    async stop() {
      child.kill('SIGTERM');
      await child;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A raw client of the socket: writes what it is given, collects what comes back until it closes. */
export interface RawClient {
  socket: Socket;
  replies: ServerMessage[];
  closed: Promise<void>;
  /** The next reply, or undefined once the server closed the connection. */
  next(): Promise<ServerMessage | undefined>;
}

export function rawClient(socketPath: string): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    const replies: ServerMessage[] = [];
    let waiting: ((message: ServerMessage | undefined) => void) | undefined;
    let ended = false;
    const closed = new Promise<void>((done) =>
      socket.once('close', () => {
        ended = true;
        waiting?.(undefined);
        done();
      }),
    );
    socket.on('error', () => undefined);
    attachDecoder(
      socket,
      (message) => {
        if (waiting) {
          const wake = waiting;
          waiting = undefined;
          wake(message as ServerMessage);
        } else replies.push(message as ServerMessage);
      },
      () => socket.destroy(),
    );
    socket.once('connect', () =>
      resolve({
        socket,
        replies,
        closed,
        next: () => {
          const queued = replies.shift();
          if (queued || ended) return Promise.resolve(queued);
          return new Promise((wake) => (waiting = wake));
        },
      }),
    );
    socket.once('error', reject);
  });
}

export async function askStatus(socketPath: string): Promise<ServerMessage | undefined> {
  const client = await rawClient(socketPath);
  client.socket.write(encodeFrame({ v: PROTOCOL_VERSION, type: 'status' }));
  const reply = await client.next();
  client.socket.destroy();
  return reply;
}
