import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remoteSchema } from '../config/remotes.js';
import {
  closedPort,
  serversSkipReason,
  startRedis,
  startSilentListener,
  type Running,
} from '../cache/remote/test-servers.js';
import { probeRemotes, remoteChecks, sccacheChecks } from './doctor-remotes.js';

const home = mkdtempSync(join(tmpdir(), 'hoard-doctor-remotes-'));
let redis: Running;
let silent: Running;
const noRedis = serversSkipReason("hoard doctor's probes of remotes", { 'redis-server': 'redis-server' });
beforeAll(async () => {
  if (noRedis) return;
  redis = await startRedis({
    password: 'admin-secret',
    users: ['ci on >ci-secret ~* +@all', 'laptop on >laptop-secret ~hoard:* +get +getex'],
  });
  silent = await startSilentListener();
});
afterAll(async () => {
  await redis?.stop();
  await silent?.stop();
  rmSync(home, { recursive: true, force: true });
});

function secret(name: string, value: string): string {
  writeFileSync(join(home, name), value);
  return join(home, name);
}

describe('hoard doctor: remotes', () => {
  it.skipIf(noRedis)('tries each remote as configured and says in one line what works and what to do', async () => {
    const remotes = [
      { url: `redis://127.0.0.1:${redis.port}`, username: 'ci', password_file: secret('ci', 'ci-secret') },
      {
        url: `redis://127.0.0.1:${redis.port}`,
        name: 'laptop-view',
        username: 'laptop',
        password_file: secret('laptop', 'laptop-secret'),
        read_only: true,
      },
      {
        url: `redis://127.0.0.1:${redis.port}`,
        name: 'laptop-writing',
        username: 'laptop',
        password_file: secret('laptop', 'laptop-secret'),
      },
      { url: `redis://ci:wrong@127.0.0.1:${redis.port}/0`, name: 'wrong-password' },
      { url: `redis://127.0.0.1:${await closedPort()}`, name: 'stopped' },
      { url: `redis://127.0.0.1:${silent.port}`, name: 'silent', timeout: '300ms' },
    ].map((remote) => remoteSchema.parse(remote));
    const checks = remoteChecks(await probeRemotes(remotes, {}, home));
    expect(checks.map((check) => check.status)).toEqual(['ok', 'ok', 'fail', 'fail', 'fail', 'fail']);
    expect(checks[0]!.message).toMatch(
      new RegExp(
        `^redis://127.0.0.1:${redis.port}: reachable, credentials accepted, write, read back and remove work \\(\\d+ ms\\)\\.$`,
      ),
    );
    expect(checks[1]!.message).toMatch(/^laptop-view: reachable, reads work \(read-only: writes not tried\)/);
    expect(checks[2]!.message).toMatch(
      /^laptop-writing \(read and write\) refused the credentials at write: .*NOPERM.*Builds go on without it; check its credentials/,
    );
    expect(checks[3]!.message).toMatch(
      /^wrong-password \(read and write\) refused the credentials at read: .*(WRONGPASS|invalid)/,
    );
    expect(checks[4]!.message).toMatch(
      /^stopped \(read and write\) failed at read: connection refused: nothing listens there .*check the URL/,
    );
    expect(checks[5]!.message).toMatch(/^silent \(read and write\) did not answer in time at read/);
    for (const check of checks) expect(check.message).not.toMatch(/ci-secret|laptop-secret|:wrong@/);
  });

  it('adds how the running server sees a remote it has failing', () => {
    const remote = remoteSchema.parse({ url: 'redis://cache:6379' });
    const [check] = remoteChecks(
      [{ remote, elapsedMs: 3 }],
      [
        {
          label: 'redis://cache:6379',
          kind: 'redis',
          readOnly: false,
          state: 'failing',
          failingSince: '2026-12-03T10:00:00.000Z',
          lastFailure: { kind: 'timeout', message: 'no answer within 2 s', at: '2026-12-03T10:05:00.000Z' },
          counters: {} as never,
        },
      ],
    );
    expect(check).toMatchObject({
      status: 'warn',
      message: expect.stringMatching(/failing since 2026-12-03T10:00:00.000Z \(timeout: no answer within 2 s\)/),
    });
  });
});

describe('hoard doctor: sccache variables', () => {
  it('says nothing without them', () => {
    expect(sccacheChecks({ HOME: '/h' }, [])).toEqual([]);
  });

  it('turns S3 settings into a HOARD_REMOTES value', () => {
    const [check] = sccacheChecks(
      {
        SCCACHE_BUCKET: 'ci-cache',
        SCCACHE_REGION: 'eu-west-1',
        SCCACHE_ENDPOINT: 'minio.internal:9000',
        SCCACHE_S3_USE_SSL: 'false',
        SCCACHE_S3_KEY_PREFIX: 'rust/',
      },
      [],
    );
    expect(check).toMatchObject({ id: 'sccache', status: 'info' });
    expect(check!.message).toContain(
      "SCCACHE_BUCKET, SCCACHE_ENDPOINT, SCCACHE_REGION, SCCACHE_S3_KEY_PREFIX, SCCACHE_S3_USE_SSL set: sccache's remote settings, which hoard does not read.",
    );
    expect(check!.message).toContain(
      "export HOARD_REMOTES='s3://ci-cache/rust-hoard?region=eu-west-1&endpoint=http://minio.internal:9000'",
    );
  });

  it('turns Redis settings into one, without the password', () => {
    const [check] = sccacheChecks(
      {
        SCCACHE_REDIS_ENDPOINT: 'redis://cache.internal:6379',
        SCCACHE_REDIS_PASSWORD: 'hunter2',
        SCCACHE_REDIS_DB: '2',
        SCCACHE_REDIS_EXPIRATION: '86400',
        SCCACHE_REDIS_RW_MODE: 'READ_ONLY',
      },
      [],
    );
    expect(check!.message).toContain(
      "HOARD_REMOTES='redis://cache.internal:6379/2?expiry=86400s&read_only=true&prefix=hoard'",
    );
    expect(check!.message).toContain('password_file');
    expect(check!.message).not.toContain('hunter2');
  });

  it('turns WebDAV settings into an HTTP remote, the token left to a file', () => {
    const [check] = sccacheChecks(
      {
        SCCACHE_WEBDAV_ENDPOINT: 'https://cache.internal/dav/',
        SCCACHE_WEBDAV_KEY_PREFIX: '/rust/',
        SCCACHE_WEBDAV_TOKEN: 'tok-3141',
        SCCACHE_WEBDAV_RW_MODE: 'READ_ONLY',
      },
      [],
    );
    expect(check!.message).toContain("HOARD_REMOTES='https://cache.internal/dav?read_only=true&prefix=rust/hoard'");
    expect(check!.message).toContain('the WebDAV token in a file named by token_file');
    expect(check!.message).not.toContain('tok-3141');
  });

  it('notices when hoard has the remote already', () => {
    const remotes = [remoteSchema.parse({ url: 's3://ci-cache/hoard' })];
    expect(sccacheChecks({ SCCACHE_BUCKET: 'ci-cache' }, remotes)[0]!.message).toMatch(
      /hoard already has the same remote configured/,
    );
  });
});
