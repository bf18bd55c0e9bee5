import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remoteSchema } from '../../config/remotes.js';
import { emptyRemoteCounters } from '../../stats/remote-counters.js';
import { GuardedStorage } from '../guarded-storage.js';
import { StorageError, type CacheStorage } from '../storage.js';
import { openBackend } from './open-remote.js';
import {
  closedPort,
  S3_ACCESS_KEY,
  S3_SECRET_KEY,
  serversSkipReason,
  startGarbageServer,
  startHttpDav,
  startRedis,
  startS3,
  startSilentListener,
  type Running,
} from './test-servers.js';

const secrets = mkdtempSync(join(tmpdir(), 'hoard-secrets-'));
const context = { env: {} as Record<string, string | undefined>, home: secrets };

function credentialsFile(accessKey: string, secretKey: string): string {
  const file = join(secrets, `credentials-${accessKey}-${secretKey.length}`);
  writeFileSync(
    file,
    `# for the tests\n[default]\naws_access_key_id = ${accessKey}\naws_secret_access_key = ${secretKey}\n\n[other]\naws_access_key_id = nobody\naws_secret_access_key = nothing\n`,
  );
  return file;
}

function secretFile(name: string, content: string): string {
  const file = join(secrets, name);
  writeFileSync(file, content);
  return file;
}

async function open(settings: Record<string, unknown>): Promise<CacheStorage> {
  return openBackend(remoteSchema.parse({ timeout: '2s', connect_timeout: '500ms', ...settings }), context);
}

/** The same storage behind a guard with a short limit, to watch what a compile would see. */
function guard(storage: CacheStorage, timeoutMs = 300) {
  const counters = emptyRemoteCounters();
  const warnings: string[] = [];
  const guarded = new GuardedStorage(storage, {
    kind: 'test',
    readOnly: false,
    operationTimeoutMs: timeoutMs,
    uploadTimeoutMs: timeoutMs,
    coolOffMs: 60_000,
    counters: () => counters,
    log: { warn: (message) => warnings.push(message), info: () => undefined },
  });
  return { guarded, counters, warnings };
}

const bytes = (text: string) => new Uint8Array(Buffer.from(text));
const big = new Uint8Array(3 * 1024 * 1024).map((_, index) => (index * 7919) % 251);

let silent: Running;
let garbage: Running;
beforeAll(async () => {
  silent = await startSilentListener();
  garbage = await startGarbageServer();
});
afterAll(async () => {
  await silent.stop();
  await garbage.stop();
  rmSync(secrets, { recursive: true, force: true });
});

/** What every backend must do, given a way to open it on a live server and on a dead address. */
function contract(name: string, openLive: (prefix: string) => Promise<CacheStorage>) {
  describe(`${name}: the storage contract`, () => {
    it('gets nothing for an unknown key, what was put, and nothing after a remove', async () => {
      const storage = await openLive('contract');
      try {
        expect(await storage.get('e/unknown')).toBeUndefined();
        await storage.put('e/abc', bytes('first'), { overwrite: false });
        expect(Buffer.from((await storage.get('e/abc'))!).toString()).toBe('first');
        await storage.put('e/big', big, { overwrite: false });
        // The answer's start is reported with the object's size, before the whole of it is in.
        const started: Array<number | undefined> = [];
        const value = await storage.get('e/big', undefined, { started: (totalBytes) => started.push(totalBytes) });
        expect(Buffer.from(value!).equals(Buffer.from(big))).toBe(true);
        expect(started).toEqual([big.byteLength]);
        await storage.put('e/abc', bytes('second'), { overwrite: true });
        expect(Buffer.from((await storage.get('e/abc'))!).toString()).toBe('second');
        await storage.remove('e/abc');
        expect(await storage.get('e/abc')).toBeUndefined();
        await storage.remove('e/abc');
      } finally {
        await storage.close();
      }
    });

    it('keeps remotes with different prefixes apart', async () => {
      const one = await openLive('team-one');
      const two = await openLive('team-two');
      try {
        await one.put('e/shared-key', bytes('one'), { overwrite: true });
        expect(await two.get('e/shared-key')).toBeUndefined();
        expect(Buffer.from((await one.get('e/shared-key'))!).toString()).toBe('one');
      } finally {
        await one.close();
        await two.close();
      }
    });
  });
}

const noRedis = serversSkipReason('the Redis backend tests', { 'redis-server': 'redis-server' });
const noNginx = serversSkipReason('the HTTP backend tests', { nginx: 'nginx' });

describe.skipIf(noRedis)('Redis', () => {
  let redis: Running;
  let secured: Running;
  beforeAll(async () => {
    redis = await startRedis();
    secured = await startRedis({
      password: 'default-secret',
      users: ['ci on >ci-secret ~* +@all', 'reader on >reader-secret ~hoard:* +get +getex +ping +info +client'],
    });
  });
  afterAll(async () => {
    await redis?.stop();
    await secured?.stop();
  });

  contract('redis://', (prefix) => open({ url: `redis://127.0.0.1:${redis.port}/1`, prefix }));

  it("stores under <prefix>:<key> in the URL's database, and keeps a value put without overwrite", async () => {
    const storage = await open({ url: `redis://127.0.0.1:${redis.port}/3`, prefix: 'team' });
    const raw = new Redis({ port: redis.port, host: '127.0.0.1', db: 3 });
    try {
      await storage.put('e/k1', bytes('kept'), { overwrite: false });
      await storage.put('e/k1', bytes('ignored'), { overwrite: false });
      expect((await raw.getBuffer('team:e/k1'))?.toString()).toBe('kept');
      expect(await raw.ttl('team:e/k1')).toBe(-1);
    } finally {
      raw.disconnect();
      await storage.close();
    }
  });

  it('sets the expiry on write and refreshes it on read', async () => {
    const storage = await open({ url: `redis://127.0.0.1:${redis.port}`, expiry: '7d' });
    const raw = new Redis({ port: redis.port, host: '127.0.0.1' });
    try {
      await storage.put('e/ttl', bytes('x'), { overwrite: false });
      expect(await raw.ttl('hoard:e/ttl')).toBeGreaterThan(7 * 86400 - 60);
      await raw.expire('hoard:e/ttl', 100);
      await storage.get('e/ttl');
      expect(await raw.ttl('hoard:e/ttl')).toBeGreaterThan(7 * 86400 - 60);
    } finally {
      raw.disconnect();
      await storage.close();
    }
  });

  it('logs in with a password from password_file, and a user and password', async () => {
    const withDefault = await open({
      url: `redis://127.0.0.1:${secured.port}`,
      password_file: secretFile('redis-default', 'default-secret\n'),
    });
    const asUser = await open({
      url: `redis://127.0.0.1:${secured.port}`,
      username: 'ci',
      password_file: secretFile('redis-ci', 'ci-secret'),
    });
    const inUrl = await open({ url: `redis://ci:ci-secret@127.0.0.1:${secured.port}` });
    try {
      await withDefault.put('e/pw', bytes('ok'), { overwrite: true });
      expect(Buffer.from((await asUser.get('e/pw'))!).toString()).toBe('ok');
      expect(Buffer.from((await inUrl.get('e/pw'))!).toString()).toBe('ok');
    } finally {
      await Promise.all([withDefault.close(), asUser.close(), inUrl.close()]);
    }
  });

  it('says auth for a wrong password, no password, and a user whose ACL forbids writing', async () => {
    const wrong = await open({
      url: `redis://127.0.0.1:${secured.port}`,
      username: 'ci',
      password_file: secretFile('redis-wrong', 'not-it'),
    });
    const none = await open({ url: `redis://127.0.0.1:${secured.port}` });
    const reader = await open({
      url: `redis://127.0.0.1:${secured.port}`,
      username: 'reader',
      password_file: secretFile('redis-reader', 'reader-secret'),
    });
    try {
      await expect(wrong.get('e/x')).rejects.toMatchObject({ kind: 'auth' });
      await expect(none.get('e/x')).rejects.toMatchObject({
        kind: 'auth',
        message: expect.stringMatching(/NOAUTH|password/),
      });
      expect(await reader.get('e/x')).toBeUndefined();
      await expect(reader.put('e/x', bytes('no'), { overwrite: false })).rejects.toMatchObject({
        kind: 'auth',
        message: expect.stringMatching(/NOPERM/),
      });
    } finally {
      await Promise.all([wrong.close(), none.close(), reader.close()]);
    }
  });

  it('an unreadable password_file is an auth failure of that remote, not an exception', async () => {
    const storage = await open({ url: `redis://127.0.0.1:${secured.port}`, password_file: join(secrets, 'missing') });
    await expect(storage.get('e/x')).rejects.toMatchObject({
      kind: 'auth',
      message: expect.stringMatching(/cannot read password_file .*missing \(ENOENT\)/),
    });
  });

  it('a closed port is an error, a listener that never answers a timeout, garbage an error; each a miss behind the guard', async () => {
    const closed = await open({ url: `redis://127.0.0.1:${await closedPort()}` });
    await expect(closed.get('e/x')).rejects.toBeInstanceOf(StorageError);
    const refused = guard(closed);
    await expect(refused.guarded.get('e/x')).rejects.toBeInstanceOf(StorageError);
    expect(refused.counters.errors + refused.counters.timeouts).toBe(1);

    const hanging = guard(await open({ url: `redis://127.0.0.1:${silent.port}` }));
    await expect(hanging.guarded.get('e/x')).rejects.toMatchObject({ kind: 'timeout' });
    expect(hanging.counters).toMatchObject({ timeouts: 1, hits: 0, misses: 0 });
    expect(await hanging.guarded.get('e/y')).toBeUndefined();
    expect(hanging.counters).toMatchObject({ timeouts: 1, skipped: 1 });

    // Known by its silence to the connection's first command within connect_timeout, well before the
    // lookup's own limit.
    const quiet = guard(await open({ url: `redis://127.0.0.1:${silent.port}`, connect_timeout: '200ms' }), 5000);
    await expect(quiet.guarded.get('e/x')).rejects.toMatchObject({
      kind: 'timeout',
      message: expect.stringMatching(/connected, but no answer to the connection's first command within 200 ms/),
    });

    const nonsense = guard(await open({ url: `redis://127.0.0.1:${garbage.port}` }), 2000);
    await expect(nonsense.guarded.get('e/x')).rejects.toBeInstanceOf(StorageError);
    expect(nonsense.counters.errors + nonsense.counters.timeouts).toBe(1);
    expect(nonsense.counters.hits).toBe(0);
    await Promise.all([closed.close(), hanging.guarded.close(), quiet.guarded.close(), nonsense.guarded.close()]);
  });

  it('a server that stops under a connected client is an error', async () => {
    const own = await startRedis();
    const storage = await open({ url: `redis://127.0.0.1:${own.port}` });
    await storage.put('e/before', bytes('x'), { overwrite: true });
    await own.stop();
    await expect(storage.get('e/before')).rejects.toBeInstanceOf(StorageError);
    await storage.close();
  });
});

describe.skipIf(noRedis)('Redis Cluster', () => {
  const nodes: Running[] = [];
  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
  });

  it('reads and writes through a three-node cluster found from one node', async () => {
    const { execa } = await import('execa');
    for (let index = 0; index < 3; index += 1) nodes.push(await startRedis({ cluster: true }));
    await execa('redis-cli', [
      '--cluster',
      'create',
      ...nodes.map((node) => `127.0.0.1:${node.port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    // Every node agrees on the slots shortly after create returns; the client asks the one it is given.
    const clusterOk = async (port: number) =>
      (await execa('redis-cli', ['-p', String(port), 'cluster', 'info'])).stdout.includes('cluster_state:ok');
    for (let attempt = 0; attempt < 100; attempt += 1) {
      if ((await Promise.all(nodes.map((node) => clusterOk(node.port)))).every(Boolean)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // A slow first connection here is the test machine's load, not what this test is about.
    const storage = await open({
      url: `redis://127.0.0.1:${nodes[1]!.port}`,
      cluster: true,
      timeout: '5s',
      connect_timeout: '5s',
    });
    try {
      const keys = Array.from({ length: 20 }, (_, index) => `e/key-${index}`);
      for (const key of keys) await storage.put(key, bytes(key), { overwrite: false });
      for (const key of keys) expect(Buffer.from((await storage.get(key))!).toString()).toBe(key);
      const holders = await Promise.all(
        nodes.map(async (node) => Number((await execa('redis-cli', ['-p', String(node.port), 'dbsize'])).stdout)),
      );
      expect(holders.filter((count) => count > 0).length).toBeGreaterThan(1);
    } finally {
      await storage.close();
    }
  });
});

describe('S3', () => {
  let s3: Running & { directory: string };
  beforeAll(async () => {
    s3 = await startS3(['cache', 'other']);
  });
  afterAll(async () => {
    await s3?.stop();
  });
  const endpoint = () => `http://127.0.0.1:${s3.port}`;

  contract('s3://', (prefix) =>
    open({
      url: 's3://cache',
      endpoint: endpoint(),
      prefix,
      credentials_file: credentialsFile(S3_ACCESS_KEY, S3_SECRET_KEY),
    }),
  );

  it('takes the prefix from the URL path, and the credentials from AWS_ACCESS_KEY_ID', async () => {
    context.env = { AWS_ACCESS_KEY_ID: S3_ACCESS_KEY, AWS_SECRET_ACCESS_KEY: S3_SECRET_KEY };
    try {
      const storage = await open({ url: 's3://cache/ci/main', endpoint: endpoint() });
      const explicit = await open({ url: 's3://cache', prefix: 'ci/main', endpoint: endpoint() });
      await storage.put('e/from-env', bytes('env'), { overwrite: true });
      expect(Buffer.from((await explicit.get('e/from-env'))!).toString()).toBe('env');
    } finally {
      context.env = {};
    }
  });

  it('says auth for a wrong secret (the server checks the signature) and for an unknown key id', async () => {
    const wrongSecret = await open({
      url: 's3://cache',
      endpoint: endpoint(),
      credentials_file: credentialsFile(S3_ACCESS_KEY, 'not-the-secret'),
    });
    const unknownKey = await open({
      url: 's3://cache',
      endpoint: endpoint(),
      credentials_file: credentialsFile(S3_ACCESS_KEY, S3_SECRET_KEY),
      profile: 'other',
    });
    await expect(wrongSecret.get('e/x')).rejects.toMatchObject({
      kind: 'auth',
      message: expect.stringMatching(/SignatureDoesNotMatch/),
    });
    await expect(wrongSecret.put('e/x', bytes('no'), { overwrite: true })).rejects.toMatchObject({ kind: 'auth' });
    await expect(unknownKey.get('e/x')).rejects.toMatchObject({
      kind: 'auth',
      message: expect.stringMatching(/InvalidAccessKeyId/),
    });
  });

  it('a named profile that the credentials file lacks is an auth failure that says so', async () => {
    const storage = await open({
      url: 's3://cache',
      endpoint: endpoint(),
      credentials_file: credentialsFile(S3_ACCESS_KEY, S3_SECRET_KEY),
      profile: 'missing',
    });
    await expect(storage.get('e/x')).rejects.toMatchObject({
      kind: 'auth',
      message: expect.stringMatching(/no profile \[missing\]/),
    });
  });

  it('reads anonymously', async () => {
    const writer = await open({
      url: 's3://cache/public',
      endpoint: endpoint(),
      credentials_file: credentialsFile(S3_ACCESS_KEY, S3_SECRET_KEY),
    });
    await writer.put('e/open', bytes('for all'), { overwrite: true });
    const reader = await open({ url: 's3://cache/public', endpoint: endpoint(), anonymous: true, read_only: true });
    expect(Buffer.from((await reader.get('e/open'))!).toString()).toBe('for all');
  });

  it('a missing bucket is an error that names it', async () => {
    const storage = await open({
      url: 's3://no-such-bucket',
      endpoint: endpoint(),
      credentials_file: credentialsFile(S3_ACCESS_KEY, S3_SECRET_KEY),
    });
    await expect(storage.put('e/x', bytes('x'), { overwrite: true })).rejects.toMatchObject({
      kind: 'error',
      message: expect.stringMatching(/no bucket "no-such-bucket"/),
    });
  });

  it('a closed port is an error, a listener that never answers a timeout, garbage an error; each a miss behind the guard', async () => {
    const file = credentialsFile(S3_ACCESS_KEY, S3_SECRET_KEY);
    const closed = await open({
      url: 's3://cache',
      endpoint: `http://127.0.0.1:${await closedPort()}`,
      credentials_file: file,
    });
    await expect(closed.get('e/x')).rejects.toMatchObject({
      kind: 'error',
      message: expect.stringMatching(/ECONNREFUSED/),
    });

    const hanging = guard(
      await open({ url: 's3://cache', endpoint: `http://127.0.0.1:${silent.port}`, credentials_file: file }),
    );
    await expect(hanging.guarded.get('e/x')).rejects.toMatchObject({ kind: 'timeout' });
    expect(hanging.counters).toMatchObject({ timeouts: 1, hits: 0, misses: 0 });
    await expect(hanging.guarded.put('e/x', bytes('x'), { overwrite: true })).rejects.toThrow(/not tried/);
    expect(hanging.counters.skipped).toBe(1);

    const nonsense = await open({
      url: 's3://cache',
      endpoint: `http://127.0.0.1:${garbage.port}`,
      credentials_file: file,
    });
    await expect(nonsense.get('e/x')).rejects.toMatchObject({ kind: 'error' });
    await Promise.all([closed.close(), hanging.guarded.close(), nonsense.close()]);
  });
});

describe.skipIf(noNginx)('HTTP (nginx with WebDAV)', () => {
  const TOKENS = { writer: 'ci-token-1', reader: 'laptop-token-2' };
  let dav: Running & { root: string };
  let basic: Running & { root: string };
  beforeAll(async () => {
    dav = await startHttpDav({ tokens: TOKENS });
    basic = await startHttpDav({ users: { ci: 'basic-secret' } });
  });
  afterAll(async () => {
    await dav?.stop();
    await basic?.stop();
  });
  const url = (path = '/cache') => `http://127.0.0.1:${dav.port}${path}`;
  const writerToken = () => secretFile('writer-token', `${TOKENS.writer}\n`);

  contract('http://', (prefix) => open({ url: url(), prefix, token_file: writerToken() }));

  it("stores each key as a file under the URL's path and the prefix", async () => {
    const storage = await open({ url: url('/cache/'), prefix: 'team', token_file: writerToken() });
    try {
      await storage.put('e/k1', bytes('on disk'), { overwrite: false });
      expect(readFileSync(join(dav.root, 'cache', 'team', 'e', 'k1'), 'utf8')).toBe('on disk');
    } finally {
      await storage.close();
    }
  });

  it('a reader token reads and is refused writes (auth, with what to do); a wrong or missing token is auth too (401, as RFC 6750 has it)', async () => {
    const writer = await open({ url: url(), token_file: writerToken() });
    const reader = await open({ url: url(), token_file: secretFile('reader-token', TOKENS.reader) });
    const stranger = await open({ url: url(), token_file: secretFile('wrong-token', 'not-a-token') });
    const nobody = await open({ url: url() });
    try {
      await writer.put('e/shared', bytes('from CI'), { overwrite: true });
      expect(Buffer.from((await reader.get('e/shared'))!).toString()).toBe('from CI');
      await expect(reader.put('e/shared', bytes('from a laptop'), { overwrite: true })).rejects.toMatchObject({
        kind: 'auth',
        message: expect.stringMatching(/PUT to http:\/\/127\.0\.0\.1:\d+\/cache: HTTP 403 .*set read_only = true/),
      });
      await expect(stranger.get('e/shared')).rejects.toMatchObject({
        kind: 'auth',
        message: expect.stringMatching(/HTTP 401 .*check token_file/),
      });
      await expect(nobody.get('e/shared')).rejects.toMatchObject({
        kind: 'auth',
        message: expect.stringMatching(/HTTP 401 .*wants credentials/),
      });
      expect(Buffer.from((await writer.get('e/shared'))!).toString()).toBe('from CI');
    } finally {
      await Promise.all([writer.close(), reader.close(), stranger.close(), nobody.close()]);
    }
  });

  it('basic credentials from username and password_file, or from the URL; wrong ones are auth', async () => {
    const base = `http://127.0.0.1:${basic.port}/cache`;
    const fromFile = await open({ url: base, username: 'ci', password_file: secretFile('basic', 'basic-secret\n') });
    const fromUrl = await open({ url: `http://ci:basic-secret@127.0.0.1:${basic.port}/cache` });
    const wrong = await open({ url: base, username: 'ci', password_file: secretFile('basic-wrong', 'guess') });
    try {
      await fromFile.put('e/basic', bytes('basic'), { overwrite: true });
      expect(Buffer.from((await fromUrl.get('e/basic'))!).toString()).toBe('basic');
      expect(fromUrl.label).toBe(`http://127.0.0.1:${basic.port}/cache`);
      await expect(wrong.get('e/basic')).rejects.toMatchObject({
        kind: 'auth',
        message: expect.stringMatching(/HTTP 401/),
      });
    } finally {
      await Promise.all([fromFile.close(), fromUrl.close(), wrong.close()]);
    }
  });

  it('a token file that cannot be read leaves the remote failing with the reason, not the server', async () => {
    const storage = await open({ url: url(), token_file: join(secrets, 'no-such-token') });
    await expect(storage.get('e/x')).rejects.toMatchObject({
      kind: 'auth',
      message: expect.stringMatching(/cannot read token_file .*no-such-token \(ENOENT\)/),
    });
  });

  it('a token file of two lines, or an empty one, says what it must hold', async () => {
    for (const content of ['writer\nsecond line\n', '\n']) {
      const storage = await open({ url: url(), token_file: secretFile('bad-token', content) });
      await expect(storage.get('e/x')).rejects.toMatchObject({
        kind: 'auth',
        message: expect.stringMatching(/token_file .*bad-token must hold the token alone, on one line/),
      });
    }
  });

  it('a closed port is an error, a listener that never answers a timeout, garbage an error', async () => {
    const closed = await open({ url: `http://127.0.0.1:${await closedPort()}/cache` });
    await expect(closed.get('e/x')).rejects.toMatchObject({
      kind: 'error',
      message: expect.stringMatching(/ECONNREFUSED/),
    });
    const hanging = guard(await open({ url: `http://127.0.0.1:${silent.port}/cache` }));
    await expect(hanging.guarded.get('e/x')).rejects.toMatchObject({ kind: 'timeout' });
    expect(hanging.counters).toMatchObject({ timeouts: 1, hits: 0, misses: 0 });
    const nonsense = await open({ url: `http://127.0.0.1:${garbage.port}/cache` });
    await expect(nonsense.get('e/x')).rejects.toMatchObject({
      kind: 'error',
      message: expect.stringMatching(/does not speak HTTP/),
    });
    await Promise.all([closed.close(), hanging.guarded.close(), nonsense.close()]);
  });
});

describe('HTTP: what a server answers, and what hoard says of it', () => {
  /** A server answering each request, once its body is in, as `answer` says; `onSocket` counts them per connection. */
  async function serve(
    answer: (request: IncomingMessage, response: ServerResponse, onSocket: number, body: Buffer) => void,
  ) {
    const perSocket = new WeakMap<object, number>();
    const server = createServer((request, response) => {
      const count = (perSocket.get(request.socket) ?? 0) + 1;
      perSocket.set(request.socket, count);
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => answer(request, response, count, Buffer.concat(chunks)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    return {
      url: `http://127.0.0.1:${port}/cache`,
      stop: () =>
        new Promise<void>((resolve) => server.close(() => resolve())).then(() => server.closeAllConnections()),
    };
  }

  it('names the setting behind each refusal, and where a redirect points without its password', async () => {
    const statuses: Record<string, [number, Record<string, string>?]> = {
      'e/forbidden': [403],
      'e/no-put': [405],
      'e/no-dir': [409],
      'e/too-large': [413],
      'e/failed': [500],
      'e/moved': [301, { location: 'https://ci:hunter2@cache.example/cache/e/moved' }],
    };
    const server = await serve((request, response) => {
      const [status, headers] = statuses[request.url!.replace(/^\/cache\//, '')] ?? [404];
      response.writeHead(status, headers).end();
    });
    const storage = await open({ url: server.url });
    try {
      const put = (key: string) => storage.put(key, bytes('x'), { overwrite: true });
      await expect(storage.get('e/forbidden')).rejects.toMatchObject({
        kind: 'auth',
        message: expect.stringMatching(/HTTP 403 Forbidden: the server refused these credentials: check token_file/),
      });
      await expect(put('e/no-put')).rejects.toThrow(/HTTP 405 .*dav_methods PUT DELETE/);
      await expect(put('e/no-dir')).rejects.toThrow(/HTTP 409 .*create_full_put_path on\), or make e\/ and m\//);
      await expect(put('e/too-large')).rejects.toThrow(/HTTP 413 .*client_max_body_size/);
      await expect(put('e/failed')).rejects.toThrow(
        /HTTP 500 .*failed to store it: see its log \(nginx: create_full_put_path/,
      );
      await expect(storage.get('e/failed')).rejects.toThrow(/HTTP 500 .*the server failed: see its own log$/);
      const moved = storage.get('e/moved');
      await expect(moved).rejects.toThrow(
        /HTTP 301 .*moved it to "https:\/\/ci:\*\*\*@cache\.example\/cache\/e\/moved": set url to that place \(hoard follows no redirects\)/,
      );
      await expect(moved).rejects.not.toThrow(/hunter2/);
      expect(await storage.get('e/nothing')).toBeUndefined();
    } finally {
      await storage.close();
      await server.stop();
    }
  });

  it('a body cut short of its length is an error, never a shorter value', async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, { 'content-length': '100' });
      response.write(Buffer.alloc(50, 1));
      setTimeout(() => response.socket?.destroy(), 20);
    });
    const storage = await open({ url: server.url });
    try {
      await expect(storage.get('e/cut')).rejects.toMatchObject({ kind: 'error' });
    } finally {
      await storage.close();
      await server.stop();
    }
  });

  it('asks again on a new connection when the server closed the pooled one (a keep-alive race)', async () => {
    let answered = 0;
    const server = await serve((_request, response, onSocket) => {
      // The second request on a connection finds it closed, as after the server's keep-alive timeout.
      if (onSocket > 1) {
        response.socket?.destroy();
        return;
      }
      answered += 1;
      response.writeHead(200, { 'content-length': '2' }).end('ok');
    });
    const storage = await open({ url: server.url });
    try {
      expect(Buffer.from((await storage.get('e/one'))!).toString()).toBe('ok');
      expect(Buffer.from((await storage.get('e/two'))!).toString()).toBe('ok');
      expect(answered).toBe(2);
    } finally {
      await storage.close();
      await server.stop();
    }
  });

  it('sends a PUT whole again on a new connection when the server closed the pooled one', async () => {
    const stored: Buffer[] = [];
    let refused = 0;
    const server = await serve((request, response, onSocket, body) => {
      if (onSocket > 1) {
        refused += 1;
        response.socket?.destroy();
        return;
      }
      if (request.method === 'GET') return response.writeHead(200, { 'content-length': '2' }).end('ok');
      stored.push(body);
      response.writeHead(201, { 'content-length': '0' }).end();
    });
    const storage = await open({ url: server.url });
    const large = Buffer.alloc(4 << 20, 7);
    try {
      // A GET reads its answer to the end, so its connection is back in the pool for the PUT.
      expect(Buffer.from((await storage.get('e/one'))!).toString()).toBe('ok');
      await storage.put('e/two', large, { overwrite: true });
      expect(refused).toBe(1);
      expect(stored).toHaveLength(1);
      expect(stored[0]!.equals(large)).toBe(true);
    } finally {
      await storage.close();
      await server.stop();
    }
  });
});
