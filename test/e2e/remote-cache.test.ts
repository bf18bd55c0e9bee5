import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  closedPort,
  S3_ACCESS_KEY,
  S3_SECRET_KEY,
  serversSkipReason,
  startHttpDav,
  startRedis,
  startS3,
  startSilentListener,
  type Running,
} from '../../src/cache/remote/test-servers.js';
import type { StatsSnapshot } from '../../src/stats/snapshot.js';
import { artifactDigests, createSandbox, expectSuccess, requireBuiltAndInstalled, type Sandbox } from './harness.js';

/*
 * Two (and more) "machines": each a sandbox with its own config, local cache and server, building the
 * workspace fixture from its own path (basedirs auto), sharing a real redis-server or S3 server.
 */

const FIXTURE = 'workspace';

function machine(remotes: string, extra = ''): Sandbox {
  const sandbox = createSandbox();
  writeConfig(sandbox, remotes, extra);
  return sandbox;
}

function writeConfig(sandbox: Sandbox, remotes: string, extra = ''): void {
  const dir = join(sandbox.root, 'config', 'hoard');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.toml'), `basedirs = ["auto"]\n${extra}\n${remotes}\n`);
}

function redisRemote(port: number, options: Record<string, string | boolean> = {}): string {
  const lines = Object.entries({ url: `redis://127.0.0.1:${port}`, timeout: '2s', ...options }).map(
    ([key, value]) => `${key} = ${JSON.stringify(value)}`,
  );
  return `[[remotes]]\n${lines.join('\n')}\n`;
}

/** The fixture at its own path in the sandbox, as a git repository: basedirs auto strips the root of a compile's git worktree. */
async function checkout(sandbox: Sandbox, name: string): Promise<string> {
  const dir = sandbox.project(FIXTURE, name);
  for (const args of [
    ['init', '-q', '-b', 'main'],
    ['add', '.'],
    ['commit', '-q', '-m', 'fixture'],
  ]) {
    await execa('git', ['-c', 'user.name=hoard', '-c', 'user.email=hoard@example.invalid', ...args], { cwd: dir });
  }
  return dir;
}

async function build(sandbox: Sandbox, project: string, what: string): Promise<void> {
  expectSuccess(await sandbox.cargo(project, ['build']), what);
}

/** Stops the machine's server, which drains its uploads first. */
async function stopServer(sandbox: Sandbox): Promise<void> {
  expectSuccess(await sandbox.hoard(['server', 'stop']), 'hoard server stop');
}

async function redisKeys(port: number, pattern: string, password?: string): Promise<string[]> {
  const client = new Redis({ port, host: '127.0.0.1', ...(password ? { password } : {}) });
  try {
    return (await client.keys(pattern)).sort();
  } finally {
    client.disconnect();
  }
}

/**
 * What cargo writes at the same path without hoard, through a wrapper that only adds the remapping hoard
 * adds under basedirs auto. The restored target directory is set aside meanwhile and put back after.
 */
async function uncachedDigests(sandbox: Sandbox, project: string): Promise<Map<string, string>> {
  const remap = join(sandbox.root, 'remap-only.sh');
  writeFileSync(
    remap,
    `#!/bin/sh\ncase "$PWD/" in "${project}/"*) exec "$@" "--remap-path-prefix=${project}=." ;; esac\nexec "$@"\n`,
  );
  chmodSync(remap, 0o755);
  const aside = `${project}-restored-target`;
  renameSync(join(project, 'target'), aside);
  try {
    expectSuccess(await sandbox.cargo(project, ['build'], { RUSTC_WRAPPER: remap }), 'uncached build');
    return artifactDigests(project);
  } finally {
    rmSync(join(project, 'target'), { recursive: true, force: true });
    renameSync(aside, join(project, 'target'));
  }
}

const remoteHits = (stats: StatsSnapshot, label: string): number => stats.counters.remoteHits?.[label] ?? 0;

const noRedis = serversSkipReason('the team-cache tests on Redis', { 'redis-server': 'redis-server' });
const noNginx = serversSkipReason('the team-cache test on HTTP', { nginx: 'nginx' });

describe.skipIf(noRedis)('a team cache on Redis', () => {
  let redis: Running;
  const machines: Sandbox[] = [];
  let label: string;
  let cacheable = 0;
  let a: Sandbox;
  let b: Sandbox;
  let projectA: string;
  let projectB: string;

  beforeAll(async () => {
    requireBuiltAndInstalled(FIXTURE);
    redis = await startRedis();
    label = `redis://127.0.0.1:${redis.port}`;
    a = machine(redisRemote(redis.port));
    b = machine(redisRemote(redis.port));
    machines.push(a, b);
    projectA = await checkout(a, 'checkout-a');
    projectB = await checkout(b, 'somewhere-else');
  });

  afterAll(async () => {
    for (const sandbox of machines) await sandbox.dispose();
    await redis?.stop();
  });

  it('A, with an empty local cache, uploads every entry; B, with its own empty cache, hits every cacheable compile from the remote', async () => {
    await build(a, projectA, 'build on A');
    const statsA = await a.stats();
    cacheable = statsA.counters.misses;
    expect(cacheable).toBeGreaterThanOrEqual(8);
    await stopServer(a);
    const entries = await redisKeys(redis.port, 'hoard:e/*');
    expect(entries).toHaveLength(cacheable);
    expect((await redisKeys(redis.port, 'hoard:m/*')).length).toBeGreaterThanOrEqual(cacheable);

    await build(b, projectB, 'build on B');
    const statsB = await b.stats();
    expect(statsB.counters).toMatchObject({ misses: 0, hits: cacheable });
    expect(remoteHits(statsB, label)).toBe(cacheable);
    expect(statsB.counters.remoteUploads?.[label] ?? 0).toBe(0);
    expect(statsB.remotes).toEqual([expect.objectContaining({ label, state: 'ok', readOnly: false })]);
    const run = await execa(join(projectB, 'target', 'debug', 'wt-app'));
    expect(run.stdout).toContain('cube(3) = 27');
  });

  it("B's outputs are byte-identical to an uncached build at B's path", async () => {
    const restored = artifactDigests(projectB);
    expect(await uncachedDigests(b, projectB)).toEqual(restored);
  });

  it('after cargo clean, B hits from its local disk without asking the remote', async () => {
    const before = await b.stats();
    expectSuccess(await b.cargo(projectB, ['clean']), 'cargo clean on B');
    await build(b, projectB, 'second build on B');
    const after = await b.stats();
    expect(after.counters.hits - before.counters.hits).toBe(cacheable);
    expect(after.counters.misses).toBe(before.counters.misses);
    expect(remoteHits(after, label)).toBe(remoteHits(before, label));
    const lookups = (stats: StatsSnapshot) =>
      (stats.counters.remotes?.[label]?.hits ?? 0) + (stats.counters.remotes?.[label]?.misses ?? 0);
    expect(lookups(after)).toBe(lookups(before));
  });

  it('a read-only machine uploads nothing, and its local cache still fills', async () => {
    const c = machine(redisRemote(redis.port, { read_only: true }));
    machines.push(c);
    const project = await checkout(c, 'read-only-checkout');
    const source = join(project, 'wt-util', 'src', 'lib.rs');
    writeFileSync(source, `${readFileSync(source, 'utf8')}\npub fn only_on_c() -> u8 { 3 }\n`);
    const keysBefore = await redisKeys(redis.port, 'hoard:*');
    await build(c, project, 'build on the read-only machine');
    const stats = await c.stats();
    expect(stats.counters.misses).toBeGreaterThan(0);
    expect(stats.counters.hits).toBeGreaterThan(0);
    expect(stats.cache.entries).toBe(stats.counters.misses + stats.counters.hits);
    expect(stats.remotes).toEqual([expect.objectContaining({ label, readOnly: true, state: 'ok' })]);
    await stopServer(c);
    expect(await redisKeys(redis.port, 'hoard:*')).toEqual(keysBefore);
    expect(stats.counters.remoteUploads?.[label] ?? 0).toBe(0);
  });

  it('corrupt, truncated and misplaced objects are misses, counted, and never reach the target directory', async () => {
    const client = new Redis({ port: redis.port, host: '127.0.0.1' });
    const entries = await redisKeys(redis.port, 'hoard:e/*');
    const [first, second, third, ...rest] = entries;
    const good = (await client.getBuffer(first!))!;
    await client.set(first!, Buffer.concat([good.subarray(0, 100), Buffer.from('flipped'), good.subarray(107)]));
    await client.set(second!, good.subarray(0, Math.floor(good.length / 2)));
    await client.set(third!, good);
    for (const key of rest) await client.set(key, Buffer.from('not an entry at all'));
    client.disconnect();

    const d = machine(redisRemote(redis.port, { read_only: true }));
    machines.push(d);
    const project = await checkout(d, 'victim');
    await build(d, project, 'build against a damaged remote');
    const stats = await d.stats();
    expect(stats.counters.hits).toBe(0);
    expect(stats.counters.misses).toBe(cacheable);
    expect(stats.counters.corruptObjects?.[label]).toBe(entries.length);
    const run = await execa(join(project, 'target', 'debug', 'wt-app'));
    expect(run.stdout).toContain('cube(3) = 27');
    expect(await uncachedDigests(d, project)).toEqual(artifactDigests(project));
  });

  it('two builders uploading the same entries at once both succeed, and a third machine hits everything', async () => {
    const prefix = 'concurrent';
    const builders = [machine(redisRemote(redis.port, { prefix })), machine(redisRemote(redis.port, { prefix }))];
    machines.push(...builders);
    const projects = await Promise.all(builders.map((sandbox, index) => checkout(sandbox, `builder-${index}`)));
    await Promise.all(builders.map((sandbox, index) => build(sandbox, projects[index]!, `concurrent build ${index}`)));
    await Promise.all(builders.map((sandbox) => stopServer(sandbox)));
    expect(await redisKeys(redis.port, `${prefix}:e/*`)).toHaveLength(cacheable);

    const reader = machine(redisRemote(redis.port, { prefix, read_only: true }));
    machines.push(reader);
    const project = await checkout(reader, 'after-the-race');
    await build(reader, project, 'build after two uploaders');
    const stats = await reader.stats();
    expect(stats.counters).toMatchObject({ hits: cacheable, misses: 0 });
    expect(stats.counters.corruptObjects?.[label] ?? 0).toBe(0);
  });
});

describe('a team cache on S3', () => {
  let s3: Running;
  const machines: Sandbox[] = [];

  beforeAll(async () => {
    requireBuiltAndInstalled(FIXTURE);
    s3 = await startS3(['team']);
  });
  afterAll(async () => {
    for (const sandbox of machines) await sandbox.dispose();
    await s3?.stop();
  });

  it('CI writes, a laptop reads: every cacheable compile hits from the bucket', async () => {
    const remote = (sandbox: Sandbox, readOnly: boolean): string => {
      const credentials = join(sandbox.root, 'aws-credentials');
      writeFileSync(
        credentials,
        `[default]\naws_access_key_id = ${S3_ACCESS_KEY}\naws_secret_access_key = ${S3_SECRET_KEY}\n`,
        { mode: 0o600 },
      );
      return `[[remotes]]\nurl = "s3://team/hoard"\nendpoint = "http://127.0.0.1:${s3.port}"\ncredentials_file = "${credentials}"\nread_only = ${readOnly}\n`;
    };
    const ci = createSandbox();
    const laptop = createSandbox();
    machines.push(ci, laptop);
    writeConfig(ci, remote(ci, false));
    writeConfig(laptop, remote(laptop, true));
    await build(ci, await checkout(ci, 'ci-checkout'), 'build on CI');
    const cacheable = (await ci.stats()).counters.misses;
    await stopServer(ci);
    const project = await checkout(laptop, 'laptop-checkout');
    await build(laptop, project, 'build on the laptop');
    const stats = await laptop.stats();
    expect(stats.counters).toMatchObject({ hits: cacheable, misses: 0 });
    expect(stats.counters.remoteHits?.['s3://team/hoard']).toBe(cacheable);
    expect(stats.counters.remoteBytesDown?.['s3://team/hoard']).toBeGreaterThan(0);
    const table = await laptop.hoard(['stats']);
    expect(table.stdout).toMatch(/^ {2}s3:\/\/team\/hoard +read-only$/m);
  });
});

describe.skipIf(noNginx)('a team cache on an HTTP server (nginx with WebDAV)', () => {
  const TOKENS = { writer: 'ci-writes', reader: 'laptops-read' };
  let dav: Running & { root: string };
  const machines: Sandbox[] = [];

  beforeAll(async () => {
    requireBuiltAndInstalled(FIXTURE);
    dav = await startHttpDav({ tokens: TOKENS });
  });
  afterAll(async () => {
    for (const sandbox of machines) await sandbox.dispose();
    await dav?.stop();
  });

  it('CI writes with its token, a laptop reads with a read-only one: every cacheable compile hits from the server', async () => {
    const url = `http://127.0.0.1:${dav.port}/hoard`;
    const remote = (sandbox: Sandbox, token: string, readOnly: boolean): string => {
      const tokenFile = join(sandbox.root, 'cache-token');
      writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
      return `[[remotes]]\nurl = "${url}"\ntoken_file = "${tokenFile}"\nread_only = ${readOnly}\n`;
    };
    const ci = createSandbox();
    const laptop = createSandbox();
    machines.push(ci, laptop);
    writeConfig(ci, remote(ci, TOKENS.writer, false));
    writeConfig(laptop, remote(laptop, TOKENS.reader, true));
    await build(ci, await checkout(ci, 'ci-checkout'), 'build on CI');
    const cacheable = (await ci.stats()).counters.misses;
    await stopServer(ci);
    expect(readdirSync(join(dav.root, 'hoard', 'e'))).toHaveLength(cacheable);

    const project = await checkout(laptop, 'laptop-checkout');
    await build(laptop, project, 'build on the laptop');
    const stats = await laptop.stats();
    expect(stats.counters).toMatchObject({ hits: cacheable, misses: 0 });
    expect(stats.counters.remoteHits?.[url]).toBe(cacheable);
    expect((await laptop.hoard(['stats'])).stdout).toMatch(/^ {2}http:\/\/127\.0\.0\.1:\d+\/hoard +read-only$/m);
    const doctor = await laptop.hoard(['doctor']);
    expect(doctor.stdout).toMatch(/ok +remote +http:\/\/127\.0\.0\.1:\d+\/hoard: reachable, reads work \(read-only/);
    expect(doctor.stdout).not.toContain(TOKENS.reader);
  });
});

describe.skipIf(noRedis)('a remote that fails', () => {
  const machines: Sandbox[] = [];
  let silent: Running;
  let secured: Running;

  beforeAll(async () => {
    requireBuiltAndInstalled(FIXTURE);
    silent = await startSilentListener();
    secured = await startRedis({ password: 'the-real-one' });
  });
  afterAll(async () => {
    for (const sandbox of machines) await sandbox.dispose();
    await silent?.stop();
    await secured?.stop();
  });

  it('stopped, never answering, or refusing the credentials: the server starts, every build succeeds, doctor and stats say which and why', async () => {
    const stopped = await startRedis();
    const stoppedPort = stopped.port;
    await stopped.stop();
    const closed = await closedPort();
    const sandbox = createSandbox();
    machines.push(sandbox);
    const passwordFile = join(sandbox.root, 'redis-password');
    writeFileSync(passwordFile, 'not-the-one\n', { mode: 0o600 });
    writeConfig(
      sandbox,
      [
        redisRemote(stoppedPort, { name: 'stopped' }),
        redisRemote(closed, { name: 'closed-port' }),
        redisRemote(silent.port, { name: 'silent-redis', timeout: '500ms' }),
        `[[remotes]]\nname = "silent-s3"\nurl = "s3://team"\nendpoint = "http://127.0.0.1:${silent.port}"\nanonymous = true\nread_only = true\ntimeout = "500ms"\n`,
        `[[remotes]]\nname = "silent-http"\nurl = "http://127.0.0.1:${silent.port}/cache"\ntimeout = "500ms"\n`,
        redisRemote(secured.port, { name: 'wrong-password', password_file: passwordFile }),
      ].join('\n'),
    );
    const project = await checkout(sandbox, 'unlucky');
    await build(sandbox, project, 'build with failing remotes');
    const stats = await sandbox.stats();
    expect(stats.counters.hits).toBe(0);
    expect(stats.counters.misses).toBeGreaterThanOrEqual(8);
    const byName = Object.fromEntries((stats.remotes ?? []).map((remote) => [remote.label, remote]));
    for (const name of ['stopped', 'closed-port', 'silent-redis', 'silent-s3', 'silent-http', 'wrong-password'])
      expect(byName[name]).toMatchObject({ state: 'failing' });
    expect(byName['silent-redis']!.lastFailure!.kind).toBe('timeout');
    expect(byName['silent-s3']!.lastFailure!.kind).toBe('timeout');
    expect(byName['silent-http']!.lastFailure!.kind).toBe('timeout');
    expect(byName['wrong-password']!.lastFailure!.kind).toBe('auth');
    expect(stats.counters.remotes?.['wrong-password']?.authFailures).toBeGreaterThan(0);
    // A failing remote is left alone: far fewer calls than compiles reached it.
    expect(stats.counters.remotes?.['silent-redis']?.skipped).toBeGreaterThan(0);

    const doctor = await sandbox.hoard(['doctor']);
    expect(doctor.exitCode).toBe(1);
    expect(doctor.stdout).toMatch(/FAIL +remote +stopped \(read and write\) failed at read: .*connection refused/);
    expect(doctor.stdout).toMatch(/FAIL +remote +closed-port \(read and write\) failed at read/);
    expect(doctor.stdout).toMatch(/FAIL +remote +silent-redis \(read and write\) did not answer in time at read/);
    expect(doctor.stdout).toMatch(/FAIL +remote +silent-s3 \(read-only\) did not answer in time at read/);
    expect(doctor.stdout).toMatch(/FAIL +remote +silent-http \(read and write\) did not answer in time at read/);
    expect(doctor.stdout).toMatch(
      /FAIL +remote +wrong-password \(read and write\) refused the credentials at read: .*WRONGPASS|invalid/,
    );
    expect(doctor.stdout).not.toContain('not-the-one');

    const table = await sandbox.hoard(['stats']);
    expect(table.stdout).toMatch(/^ {2}wrong-password +failing since \d\d:\d\d:\d\d \(auth\)$/m);

    // And a second build, all from the local disk, is not slowed by them: nothing is asked of them at all.
    expectSuccess(await sandbox.cargo(project, ['clean']), 'cargo clean');
    await build(sandbox, project, 'second build with failing remotes');
    const again = await sandbox.stats();
    expect(again.counters.hits).toBe(stats.counters.misses);
  });
});
