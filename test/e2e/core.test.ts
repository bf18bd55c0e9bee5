import { chmodSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processRuns } from '../../src/fs/process-runs.js';
import { encodeFrame } from '../../src/protocol/framing.js';
import { sumOf } from '../../src/stats/counters.js';
import {
  artifactDigests,
  createSandbox,
  HOARD,
  expectSuccess,
  requireBuiltAndInstalled,
  type Sandbox,
} from './harness.js';

const FIXTURE = 'workspace';

/** How many compiles of the fixture hoard can cache: all of them (libraries, build scripts, the binary). */
let cacheable = 0;

describe('a cargo workspace built through hoard', () => {
  let sandbox: Sandbox;
  let project: string;
  let baseline: Map<string, string>;

  beforeAll(async () => {
    requireBuiltAndInstalled(FIXTURE);
    sandbox = createSandbox();
    project = sandbox.project(FIXTURE);
    // The reference: the same project at the same path, built without any wrapper.
    expectSuccess(await sandbox.cargo(project, ['build'], { RUSTC_WRAPPER: undefined }), 'uncached build');
    baseline = artifactDigests(project);
    expectSuccess(await sandbox.cargo(project, ['clean']), 'cargo clean');
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('misses on the first build and stores every cacheable crate', async () => {
    const build = await sandbox.cargo(project, ['build']);
    expectSuccess(build, 'cold build');
    // The compiles the wrapper ran kept cargo's jobserver.
    expect(build.stderr).not.toMatch(/jobserver/);
    const { counters } = await sandbox.stats();
    cacheable = counters.misses;
    expect(counters.hits).toBe(0);
    expect(cacheable).toBeGreaterThanOrEqual(5);
    expect(sumOf(counters.notCacheable)).toBe(0);
    // Every compile request is counted under its kind, linked crates included.
    expect(counters.byKind['rust library']?.misses).toBeGreaterThanOrEqual(5);
    expect(counters.byKind['rust binary']?.misses).toBe(1);
    expect(counters.byKind['rust build script']?.misses).toBeGreaterThanOrEqual(1);
    const byKindRequests = Object.values(counters.byKind).reduce((sum, kind) => sum + kind.requests, 0);
    expect(byKindRequests).toBe(counters.requests - counters.notCompilation);
    expect(sumOf(counters.errors)).toBe(0);
    expect(counters.bytesStored).toBeGreaterThan(0);
  });

  it('restores every cacheable crate after cargo clean, byte for byte as an uncached build made them', async () => {
    expectSuccess(await sandbox.cargo(project, ['clean']), 'cargo clean');
    const before = (await sandbox.stats()).counters;
    expectSuccess(await sandbox.cargo(project, ['build']), 'warm build');
    const after = (await sandbox.stats()).counters;
    expect(after.hits - before.hits).toBe(cacheable);
    expect(after.misses).toBe(before.misses);
    expect(after.timeSavedMs).toBeGreaterThan(before.timeSavedMs);
    expect(artifactDigests(project)).toEqual(baseline);
    const run = await execa(join(project, 'target', 'debug', 'wt-app'), [], { reject: false });
    expect(run.exitCode).toBe(0);
  });

  it('leaves cargo nothing to do on the build after a hit', async () => {
    const result = await sandbox.cargo(project, ['build', '-v']);
    expectSuccess(result, 'no-op build');
    expect(result.stderr).not.toMatch(/Running `/);
  });

  it('answers `rustc -vV` from the identified toolchain, byte for byte, without running rustc', async () => {
    // A rustc that logs each call, then runs the real one: a toolchain of its own for the server.
    const calls = join(sandbox.root, 'logged-rustc-calls');
    const rustc = join(sandbox.root, 'logged-toolchain', 'rustc');
    mkdirSync(join(sandbox.root, 'logged-toolchain'));
    const real = join((await execa('rustc', ['--print', 'sysroot'])).stdout, 'bin', 'rustc');
    const writeScript = (): void => {
      writeFileSync(rustc, `#!/bin/sh\necho "$*" >> '${calls}'\nexec '${real}' "$@"\n`);
      chmodSync(rustc, 0o755);
    };
    writeScript();
    const exact = { env: sandbox.env, extendEnv: false, stripFinalNewline: false, cwd: sandbox.root } as const;
    const expected = (await execa(real, ['-vV'], exact)).stdout;
    const logged = (): string[] => readFileSync(calls, 'utf8').split('\n').filter(Boolean);

    // Unknown toolchain: rustc runs, and the server identifies it meanwhile (its own -vV and --print sysroot).
    expect((await execa(HOARD, [rustc, '-vV'], exact)).stdout).toBe(expected);
    const toolchains = join(sandbox.root, 'cache', 'hoard', 'toolchains.json');
    for (let waited = 0; !(existsSync(toolchains) && readFileSync(toolchains, 'utf8').includes(rustc)); waited += 100) {
      if (waited > 60_000) throw new Error('the server did not identify the logged toolchain within a minute');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(logged().filter((line) => line === '-vV')).toHaveLength(2);

    const before = logged().length;
    for (const args of [['-vV'], ['--version', '--verbose']]) {
      const answered = await execa(HOARD, [rustc, ...args], exact);
      expect(answered.exitCode).toBe(0);
      expect(answered.stdout).toBe(expected);
      expect(answered.stderr).toBe('');
    }
    expect(logged()).toHaveLength(before);

    // Another compiler binary at that path (an update): rustc runs again.
    writeScript();
    expect((await execa(HOARD, [rustc, '-vV'], exact)).stdout).toBe(expected);
    expect(logged().length).toBeGreaterThan(before);
  }, 90_000);

  it('misses only the edited crate and the crates that depend on it', async () => {
    const source = join(project, 'wt-util', 'src', 'lib.rs');
    writeFileSync(source, `${readFileSync(source, 'utf8')}\npub fn added_by_test() -> u32 { 7 }\n`);
    expectSuccess(await sandbox.cargo(project, ['clean']), 'cargo clean');
    const before = (await sandbox.stats()).counters;
    expectSuccess(await sandbox.cargo(project, ['build']), 'build after edit');
    const after = (await sandbox.stats()).counters;
    // wt-util changed, and wt-app's library and binary depend on it.
    expect(after.misses - before.misses).toBe(3);
    expect(after.hits - before.hits).toBe(cacheable - 3);
  });

  it('misses when a value read by env! changes, and hits again when it changes back', async () => {
    const before = (await sandbox.stats()).counters;
    expectSuccess(
      await sandbox.cargo(project, ['build'], { WT_GREETING: 'hello from a test' }),
      'build with WT_GREETING',
    );
    const changed = (await sandbox.stats()).counters;
    expect(changed.misses - before.misses).toBeGreaterThanOrEqual(1);
    expect((await execa(join(project, 'target', 'debug', 'wt-app'))).stdout).toContain('hello from a test');
    expectSuccess(await sandbox.cargo(project, ['build']), 'build without WT_GREETING');
    const back = (await sandbox.stats()).counters;
    expect(back.misses).toBe(changed.misses);
    expect(back.hits).toBeGreaterThan(changed.hits);
  });

  it('keeps its statistics across a server restart', async () => {
    const { counters: before, server } = await sandbox.stats();
    expectSuccess(await sandbox.hoard(['server', 'stop']), 'hoard server stop');
    // `server stop` returns once the server has exited (its parent may not have reaped it yet), its
    // statistics and known digests saved.
    expect(processRuns(server.pid!)).toBe(false);
    expect(existsSync(join(sandbox.env.XDG_CACHE_HOME!, 'hoard', 'digests.json'))).toBe(true);
    const saved = await sandbox.stats();
    expect(saved.server.running).toBe(false);
    expect(saved.counters.hits).toBe(before.hits);
    expect(saved.cache.entries).toBeGreaterThan(0);
    expectSuccess(await sandbox.hoard(['server', 'start']), 'hoard server start');
    expect((await sandbox.stats()).counters.hits).toBe(before.hits);
  });
});

describe('failures that must not break a build', () => {
  let sandbox: Sandbox;
  let project: string;

  beforeAll(async () => {
    requireBuiltAndInstalled(FIXTURE);
    sandbox = createSandbox();
    project = sandbox.project(FIXTURE);
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('survives the deletion of the TMPDIR of the shell that started the server', async () => {
    const shellTmp = join(sandbox.root, 'nix-shell-tmp');
    mkdirSync(shellTmp);
    expectSuccess(await sandbox.hoard(['server', 'start'], { TMPDIR: shellTmp }), 'server start');
    rmSync(shellTmp, { recursive: true });
    expectSuccess(await sandbox.cargo(project, ['build']), 'build after TMPDIR was deleted');
    expectSuccess(await sandbox.cargo(project, ['clean']), 'clean');
    expectSuccess(await sandbox.cargo(project, ['build']), 'second build');
    const { counters } = await sandbox.stats();
    expect(counters.hits).toBeGreaterThan(0);
    expect(sumOf(counters.errors)).toBe(0);
  });

  it('finishes a build whose server is killed in the middle of it', async () => {
    expectSuccess(await sandbox.cargo(project, ['clean']), 'clean');
    const status = JSON.parse((await sandbox.hoard(['server', 'status', '--json'])).stdout) as { pid?: number };
    const build = sandbox.cargo(project, ['build', '-j1'], { WT_GREETING: 'kill test' });
    // Kill it once the build is under way.
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const { counters } = await sandbox.stats();
      if (counters.requests > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (status.pid) process.kill(status.pid, 'SIGKILL');
    const result = await build;
    expectSuccess(result, 'build with its server killed');
    expect((await execa(join(project, 'target', 'debug', 'wt-app'))).stdout).toContain('kill test');
  });

  it('finishes a build while `hoard server stop` runs in another shell', async () => {
    expectSuccess(await sandbox.cargo(project, ['clean']), 'clean');
    expectSuccess(await sandbox.hoard(['server', 'start']), 'server start');
    const first = JSON.parse((await sandbox.hoard(['server', 'status', '--json'])).stdout) as { pid: number };
    // The build's second crate waits until the server is stopped: through bin/hoard's fast path a build
    // of hits can end before `hoard server stop` has, and the rest of it must meet the stopped server.
    const gate = join(sandbox.root, 'gate');
    mkdirSync(gate, { recursive: true });
    const gated = join(gate, 'rustc-wrapper');
    writeFileSync(
      gated,
      `#!/bin/sh
case "$*" in *--crate-name*) [ -e '${gate}/first' ] || { : > '${gate}/first'; exec '${HOARD}' "$@"; }; : > '${gate}/waiting'; while [ ! -e '${gate}/open' ]; do sleep 0.05; done ;; esac
exec '${HOARD}' "$@"
`,
    );
    chmodSync(gated, 0o755);
    const build = sandbox.cargo(project, ['build', '-j1'], { WT_GREETING: 'stop test', RUSTC_WRAPPER: gated });
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !existsSync(join(gate, 'waiting')))
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await sandbox.stats()).counters.requests).toBeGreaterThan(0);
    expectSuccess(await sandbox.hoard(['server', 'stop']), 'server stop during the build');
    writeFileSync(join(gate, 'open'), '');
    expectSuccess(await build, 'build during a server stop');
    expect((await execa(join(project, 'target', 'debug', 'wt-app'))).stdout).toContain('stop test');
    // The rest of the build started a server of its own.
    const second = JSON.parse((await sandbox.hoard(['server', 'status', '--json'])).stdout) as { pid?: number };
    expect(second.pid).toBeDefined();
    expect(second.pid).not.toBe(first.pid);
    expect(sumOf((await sandbox.stats()).counters.errors)).toBe(0);
  });

  it('replaces a server that speaks another protocol version', async () => {
    expectSuccess(await sandbox.hoard(['server', 'start']), 'server start');
    const first = JSON.parse((await sandbox.hoard(['server', 'status', '--json'])).stdout) as { pid: number };
    const socketPath = join(sandbox.root, 'run', 'hoard', 'server.sock');
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(socketPath, () => socket.write(encodeFrame({ v: 999, type: 'status' })));
      let data = Buffer.alloc(0);
      socket.on('data', (chunk) => (data = Buffer.concat([data, chunk])));
      socket.on('close', () => resolve(data.subarray(4).toString('utf8')));
      socket.on('error', reject);
    });
    expect(JSON.parse(reply)).toMatchObject({ type: 'version-mismatch' });
    const deadline = Date.now() + 10_000;
    while (existsSync(socketPath) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expectSuccess(await sandbox.cargo(project, ['build']), 'build after the old server left');
    const second = JSON.parse((await sandbox.hoard(['server', 'status', '--json'])).stdout) as { pid: number };
    expect(second.pid).not.toBe(first.pid);
  });

  it('leaves a running server be when another is started by hand, and that one exits', async () => {
    expectSuccess(await sandbox.hoard(['server', 'start']), 'hoard server start');
    const before = (await sandbox.stats()).server.pid;
    // A service manager's `hoard server start --foreground` beside a server a build started.
    const second = await execa(HOARD, ['server', 'start', '--foreground'], {
      env: sandbox.env,
      extendEnv: false,
      reject: false,
      timeout: 30_000,
    });
    expect(second.timedOut).toBe(false);
    expect(second.exitCode).toBe(0);
    expect(second.stderr).toMatch(/another server already answers/);
    expect((await sandbox.stats()).server.pid).toBe(before);
  });

  it('answers malformed socket messages with a one-line error and keeps serving', async () => {
    const socketPath = join(sandbox.root, 'run', 'hoard', 'server.sock');
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(socketPath, () => socket.write(encodeFrame({ hello: 'there' })));
      let data = Buffer.alloc(0);
      socket.on('data', (chunk) => (data = Buffer.concat([data, chunk])));
      socket.on('close', () => resolve(data.subarray(4).toString('utf8')));
      socket.on('error', reject);
    });
    expect(JSON.parse(reply)).toMatchObject({ type: 'error', message: expect.stringMatching(/^not a hoard message/) });
    expect((await sandbox.hoard(['server', 'status'])).exitCode).toBe(0);
  });

  it('runs the compiler directly when no server can be started', async () => {
    // A cache directory under a regular file: no socket, no server, no log can be made there.
    const unusable = join(sandbox.root, 'not-a-dir');
    writeFileSync(unusable, '');
    const result = await sandbox.cargo(project, ['build'], { HOARD_DIR: join(unusable, 'sub'), WT_GREETING: 'direct' });
    expectSuccess(result, 'build with an unusable cache directory');
    expect((await execa(join(project, 'target', 'debug', 'wt-app'))).stdout).toContain('direct');
  });

  it('compiles directly, and exits, when the server takes the request and never answers', async () => {
    // A server that hangs: it accepts and reads, and says nothing. No lanes are offered.
    const cacheDir = join(sandbox.root, 'hung-server');
    mkdirSync(join(cacheDir, 'run'), { recursive: true, mode: 0o700 });
    const held: Socket[] = [];
    const hung = createServer((socket) => held.push(socket.on('error', () => undefined)));
    await new Promise<void>((resolve) => hung.listen(join(cacheDir, 'run', 'server.sock'), resolve));
    try {
      // The wrapper gives up after its decision timeout (20 s), runs the compiler, and must then exit,
      // though the hung server still holds the connection open.
      const result = await execa(HOARD, ['rustc', '-vV'], {
        env: { ...sandbox.env, HOARD_DIR: cacheDir },
        extendEnv: false,
        reject: false,
        timeout: 60_000,
      });
      expect(result.timedOut).toBe(false);
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toMatch(/^rustc \d+\.\d+/);
      expect(held.length).toBe(1);
      expect(readFileSync(join(cacheDir, 'error.log'), 'utf8')).toMatch(
        /no answer from the server within 20000 ms; compiling rustc directly/,
      );
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => hung.close(resolve));
    }
  }, 90_000);

  it('two builds of the same project at once share the cache without corrupting it', async () => {
    const copyA = sandbox.project(FIXTURE, 'concurrent-a');
    expectSuccess(await sandbox.hoard(['stats', '--zero']), 'zero');
    const [a, b] = await Promise.all([
      sandbox.cargo(copyA, ['build'], { CARGO_TARGET_DIR: join(sandbox.root, 'target-a') }),
      sandbox.cargo(copyA, ['build'], { CARGO_TARGET_DIR: join(sandbox.root, 'target-b') }),
    ]);
    expectSuccess(a, 'concurrent build A');
    expectSuccess(b, 'concurrent build B');
    const { counters } = await sandbox.stats();
    expect(counters.errors).toEqual({});
    // Every crate request was answered; a crate being compiled by one build was waited for by the other.
    expect(cacheable).toBeGreaterThan(0);
    expect(counters.hits + counters.misses).toBe(2 * cacheable);
    rmSync(join(sandbox.root, 'target-a'), { recursive: true });
    const before = (await sandbox.stats()).counters;
    expectSuccess(
      await sandbox.cargo(copyA, ['build'], { CARGO_TARGET_DIR: join(sandbox.root, 'target-a') }),
      'rebuild A',
    );
    const after = (await sandbox.stats()).counters;
    expect(after.misses).toBe(before.misses);
    expect(after.hits).toBeGreaterThan(before.hits);
  });
});
