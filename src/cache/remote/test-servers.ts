/*
 * Real servers for the remote-cache tests, each on a free loopback port, each with a stop() that
 * removes what it made: redis-server (Debian's), an S3 server that checks SigV4 signatures
 * (@20minutes/s3rver), nginx with WebDAV (Debian's), and the misbehaving ones a remote can turn into
 * (a listener that accepts and never answers, one that answers garbage, a closed port).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

/** Where a server program is: on PATH, or in the sbin directories Debian puts daemons in. */
export function findProgram(program: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' });
  if (found.status === 0 && found.stdout.trim()) return found.stdout.trim();
  return ['/usr/sbin', '/sbin', '/usr/local/sbin'].map((dir) => join(dir, program)).find((path) => existsSync(path));
}

/**
 * Why tests of these servers cannot run here (a program is not installed), or undefined. Where one is
 * missing they are skipped with the reason, except under CI=true, where .ci/run installs them and their
 * absence is a failure.
 */
export function serversSkipReason(what: string, programs: Record<string, string>): string | undefined {
  const missing = Object.entries(programs).filter(([program]) => findProgram(program) === undefined);
  if (missing.length === 0) return undefined;
  const reason = `${what} need ${missing.map(([program]) => program).join(' and ')} (Debian: apt-get install ${missing.map(([, debian]) => debian).join(' ')})`;
  if (process.env.CI === 'true') throw new Error(reason);
  console.warn(`SKIPPED ${what}: ${reason}`);
  return reason;
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
  return spawnListening('redis-server', args, {
    port,
    dir,
    failure: 'redis-server did not start (apt-get install redis-server)',
  });
}

/** Runs a server until it listens on the port; stopping it removes its directory. */
async function spawnListening(
  program: string,
  args: string[],
  where: { port: number; dir: string; failure: string },
): Promise<Running & { pid: number }> {
  const child = spawn(program, args, { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', () => undefined);
  try {
    await waitForPort(where.port, child);
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(where.dir, { recursive: true, force: true });
    throw new Error(`${where.failure}: ${(error as Error).message}`);
  }
  return {
    port: where.port,
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(where.dir, { recursive: true, force: true });
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

export interface HttpDavOptions {
  /** Bearer tokens: a writer's may do anything, a reader's only GET and HEAD (403 otherwise). */
  tokens?: { writer: string; reader: string };
  /** Basic credentials (user → password); with neither, anyone may do anything. */
  users?: Record<string, string>;
}

/**
 * nginx serving a directory with WebDAV's PUT and DELETE, as a team would set it up for hoard (or for
 * ccache's and sccache's HTTP backends), in a temporary directory of its own. `root` is where the
 * objects land on disk.
 */
export async function startHttpDav(options: HttpDavOptions = {}): Promise<Running & { root: string }> {
  const nginx = findProgram('nginx');
  if (!nginx) throw new Error('nginx is not installed (apt-get install nginx)');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'hoard-dav-'));
  const root = join(dir, 'data');
  mkdirSync(root);
  mkdirSync(join(dir, 'tmp'));
  const access: string[] = [];
  const maps: string[] = [];
  if (options.tokens) {
    maps.push(
      `map $http_authorization $hoard_access { default none; "Bearer ${options.tokens.writer}" write; "Bearer ${options.tokens.reader}" read; }`,
      'map "$hoard_access:$request_method" $hoard_refuse { default ""; ~^none: 401; ~^read:(PUT|DELETE|MKCOL|COPY|MOVE)$ 403; }',
    );
    access.push('if ($hoard_refuse = 401) { return 401; }', 'if ($hoard_refuse = 403) { return 403; }');
  } else if (options.users) {
    const htpasswd = join(dir, 'htpasswd');
    writeFileSync(
      htpasswd,
      Object.entries(options.users)
        .map(([user, password]) => `${user}:{PLAIN}${password}\n`)
        .join(''),
    );
    access.push('auth_basic "hoard";', `auth_basic_user_file ${htpasswd};`);
  }
  const temp = (name: string) => `${name}_temp_path ${join(dir, 'tmp', name)};`;
  const config = join(dir, 'nginx.conf');
  writeFileSync(
    config,
    [
      'daemon off;',
      'worker_processes 1;',
      // Workers run as nobody when the master is root, and could not write into this private directory.
      ...(process.getuid?.() === 0 ? ['user root root;'] : []),
      `pid ${join(dir, 'nginx.pid')};`,
      `error_log ${join(dir, 'error.log')} warn;`,
      'events { worker_connections 128; }',
      'http {',
      '  access_log off;',
      '  default_type application/octet-stream;',
      `  ${temp('client_body')} ${temp('proxy')} ${temp('fastcgi')} ${temp('uwsgi')} ${temp('scgi')}`,
      '  client_max_body_size 256m;',
      ...maps.map((line) => `  ${line}`),
      '  server {',
      `    listen 127.0.0.1:${port};`,
      `    root ${root};`,
      '    location / {',
      ...access.map((line) => `      ${line}`),
      '      dav_methods PUT DELETE;',
      '      create_full_put_path on;',
      '      dav_access user:rw;',
      '    }',
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  const running = await spawnListening(nginx, ['-p', dir, '-e', join(dir, 'error.log'), '-c', config], {
    port,
    dir,
    failure: 'nginx did not start',
  });
  return { ...running, root };
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
