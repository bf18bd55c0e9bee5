import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sumOf } from '../../src/stats/counters.js';
import {
  createSandbox,
  expectSuccess,
  HOARD,
  REPO,
  requireBuiltAndInstalled,
  type CommandResult,
  type Sandbox,
} from './harness.js';

const FIXTURE = 'workspace';

/** The shape of every answer to a misuse: exactly one line, from hoard. */
function expectOneLine(result: CommandResult, pattern: RegExp): void {
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^hoard: /);
  expect(lines[0]).toMatch(pattern);
}

function occurrences(text: string, fragment: string): number {
  return text.split(fragment).length - 1;
}

interface DoctorReport {
  ok: boolean;
  checks: Array<{ id: string; status: string; message: string }>;
}

describe('hoard init and hoard doctor in a fresh HOME', () => {
  let sandbox: Sandbox;
  let home: string;
  /** A user without any hoard or cargo set-up: no RUSTC_WRAPPER, no CARGO_INCREMENTAL, an empty HOME. */
  let fresh: Record<string, string | undefined>;
  const cargoConfig = (): string => join(home, '.cargo', 'config.toml');
  const hoardConfig = (): string => join(sandbox.root, 'config', 'hoard', 'config.toml');
  const doctor = async (): Promise<{ result: CommandResult; report: DoctorReport }> => {
    const result = await sandbox.hoard(['doctor', '--json'], fresh as Record<string, string>);
    return { result, report: JSON.parse(result.stdout) as DoctorReport };
  };

  beforeAll(() => {
    requireBuiltAndInstalled(FIXTURE);
    sandbox = createSandbox();
    home = join(sandbox.root, 'home');
    mkdirSync(home);
    // rustup's cargo and rustc find their toolchains through RUSTUP_HOME, which defaults to HOME's.
    fresh = {
      HOME: home,
      RUSTUP_HOME: process.env.RUSTUP_HOME ?? join(homedir(), '.rustup'),
      RUSTC_WRAPPER: undefined,
      CARGO_INCREMENTAL: undefined,
    };
    for (const [name, value] of Object.entries(fresh)) if (value === undefined) delete sandbox.env[name];
    Object.assign(sandbox.env, { HOME: home, RUSTUP_HOME: fresh.RUSTUP_HOME });
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('doctor, before init: cargo does not go through hoard, and incremental is on (no warning before an incremental compile is seen)', async () => {
    const { result, report } = await doctor();
    expect(result.exitCode).toBe(1);
    expect(report.ok).toBe(false);
    expect(report.checks.find((check) => check.id === 'wrapper')).toMatchObject({
      status: 'fail',
      message: expect.stringContaining("run 'hoard init'"),
    });
    expect(report.checks.find((check) => check.id === 'incremental')).toMatchObject({
      status: 'info',
      message: expect.stringMatching(/cargo's default.*no compiles recorded yet/),
    });
    const text = await sandbox.hoard(['doctor']);
    expect(text.stdout).toMatch(/^FAIL {2}wrapper {7}cargo does not go through hoard/m);
  });

  it('init --check shows the changes and makes none', async () => {
    const check = await sandbox.hoard(['init', '--check', '--size', '20G']);
    expect(check.exitCode).toBe(1);
    expect(check.stdout).toMatch(/^would set +~\/\.cargo\/config\.toml: \[build\] rustc-wrapper = /m);
    expect(check.stdout).toMatch(/^would set +~\/\.cargo\/config\.toml: \[build\] incremental = false/m);
    expect(check.stdout).toMatch(/config\.toml: cache_size = "20G"/);
    expect(existsSync(cargoConfig())).toBe(false);
    expect(existsSync(hoardConfig())).toBe(false);
  });

  it('init makes them, and a second run changes nothing', async () => {
    const first = await sandbox.hoard(['init', '--size', '20G']);
    expectSuccess(first, 'hoard init');
    // rustc-wrapper, incremental, cache_size and basedirs.
    expect(first.stdout.match(/^set /gm)).toHaveLength(4);
    expect(first.stdout).toMatch(/^set +\S*hoard\/config\.toml: basedirs = \["auto"\] — .*--no-basedirs/m);
    const cargoText = readFileSync(cargoConfig(), 'utf8');
    expect(cargoText).toContain(`rustc-wrapper = ${JSON.stringify(HOARD)}`);
    expect(cargoText).toContain('incremental = false');
    expect(readFileSync(hoardConfig(), 'utf8')).toContain('cache_size = "20G"');
    expect(readFileSync(hoardConfig(), 'utf8')).toContain('basedirs = ["auto"]');

    const before = [cargoConfig(), hoardConfig()].map((file) => [readFileSync(file, 'utf8'), statSync(file).mtimeMs]);
    const second = await sandbox.hoard(['init', '--size', '20G']);
    expectSuccess(second, 'hoard init, again');
    expect(second.stdout).not.toMatch(/^set /m);
    expect(second.stdout).toContain('Nothing to change.');
    expect([cargoConfig(), hoardConfig()].map((file) => [readFileSync(file, 'utf8'), statSync(file).mtimeMs])).toEqual(
      before,
    );
    expect((await sandbox.hoard(['init', '--check'])).exitCode).toBe(0);
  });

  it('cargo then builds through hoard with nothing in the environment, and doctor is content', async () => {
    const project = sandbox.project(FIXTURE);
    expectSuccess(await sandbox.cargo(project, ['build'], fresh), 'build after init');
    const { counters, cache } = await sandbox.stats();
    expect(counters.misses).toBeGreaterThanOrEqual(5);
    expect(counters.notCacheable.incremental ?? 0).toBe(0);
    expect(cache.limitBytes).toBe(20 * 1024 ** 3);
    const { result, report } = await doctor();
    expect(report.checks.filter((check) => check.status === 'warn' || check.status === 'fail')).toEqual([]);
    expect(result.exitCode).toBe(0);
    expect(report.checks.find((check) => check.id === 'server-config')?.status).toBe('ok');
  });

  it('a different wrapper already set is reported, not replaced', async () => {
    // Private, as a cargo config holding a registry token would be: it stays private.
    writeFileSync(cargoConfig(), '# mine\n[build]\nrustc-wrapper = "sccache" # for now\n', { mode: 0o600 });
    chmodSync(cargoConfig(), 0o600);
    const result = await sandbox.hoard(['init']);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(
      /^kept +~\/\.cargo\/config\.toml: \[build\] rustc-wrapper = "sccache" — another wrapper, left as it is; 'hoard init --replace-wrapper'/m,
    );
    expect(readFileSync(cargoConfig(), 'utf8')).toContain('rustc-wrapper = "sccache" # for now');
    expectSuccess(await sandbox.hoard(['init', '--replace-wrapper']), 'init --replace-wrapper');
    expect(readFileSync(cargoConfig(), 'utf8')).toMatch(
      /^# mine\n\[build\]\nincremental = false\nrustc-wrapper = ".*" # for now\n$/,
    );
    expect(statSync(cargoConfig()).mode & 0o777).toBe(0o600);
  });
});

describe('CARGO_INCREMENTAL=1', () => {
  let sandbox: Sandbox;

  beforeAll(() => {
    requireBuiltAndInstalled(FIXTURE);
    sandbox = createSandbox();
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('builds, caches the registry crates, and doctor explains what it costs', async () => {
    const project = sandbox.project(FIXTURE);
    expectSuccess(await sandbox.cargo(project, ['build'], { CARGO_INCREMENTAL: '1' }), 'incremental build');
    const { counters } = await sandbox.stats();
    const incremental = counters.notCacheable.incremental ?? 0;
    expect(incremental).toBeGreaterThan(0);
    expect(counters.misses).toBeGreaterThan(0);
    expect(sumOf(counters.errors)).toBe(0);
    const result = await sandbox.hoard(['doctor'], { CARGO_INCREMENTAL: '1' });
    expect(result.exitCode).toBe(1);
    const line = result.stdout.split('\n').find((text) => text.includes('incremental '));
    expect(line).toMatch(
      /^WARN {2}incremental +incremental compilation is on \(environment variable CARGO_INCREMENTAL\)/,
    );
    expect(line).toContain(`So far ${incremental} of ${counters.requests} compiles ran uncached because of it.`);
    expect(result.stdout).toMatch(
      new RegExp(
        `^info {2}not-cached +${incremental} of ${counters.requests} compiles not cached: incremental \\(set CARGO_INCREMENTAL=0`,
        'm',
      ),
    );
  });
});

describe('wrapper misuse: one line, an exit status, no recursion', () => {
  let sandbox: Sandbox;
  let links: string;
  let loop: string;
  let project: string;

  beforeAll(() => {
    requireBuiltAndInstalled(FIXTURE);
    sandbox = createSandbox();
    project = sandbox.project(FIXTURE);
    links = join(sandbox.root, 'links');
    mkdirSync(links);
    symlinkSync(HOARD, join(links, 'rustc'));
    // A "compiler" on PATH that hands the call back to hoard: every level would run it again.
    loop = join(sandbox.root, 'loop');
    mkdirSync(loop);
    writeFileSync(join(loop, 'rustc'), `#!/bin/sh\nexec ${JSON.stringify(HOARD)} rustc "$@"\n`);
    // A compiler that runs $RUSTC_WRAPPER on itself, as a wrapper script would.
    writeFileSync(join(sandbox.root, 'wrapping-rustc'), '#!/bin/sh\nexec "$RUSTC_WRAPPER" "$0" "$@"\n');
    for (const script of [join(loop, 'rustc'), join(sandbox.root, 'wrapping-rustc')]) chmodSync(script, 0o755);
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('hoard with no compiler', async () => {
    const bare = await sandbox.hoard([]);
    expect(bare.exitCode).toBe(2);
    expectOneLine(bare, /no compiler given.*'hoard --help'/);
    const flag = await sandbox.hoard(['-E', 'foo.c']);
    expect(flag.exitCode).toBe(2);
    expectOneLine(flag, /'-E' is not a compiler/);
    expect(flag.stdout).toBe('');
    const twice = await sandbox.hoard(['hoard']);
    expect(twice.exitCode).toBe(2);
    expectOneLine(twice, /'hoard hoard' names no compiler/);
  });

  it('hoard hoard rustc runs rustc once', async () => {
    const result = await sandbox.hoard(['hoard', 'hoard', 'rustc', '-vV']);
    expectSuccess(result, 'hoard hoard rustc -vV');
    expect(result.stdout).toMatch(/^rustc \d/);
  });

  it('arguments the compiler does not accept still go to the compiler', async () => {
    const result = await sandbox.hoard(['rustc', '--no-such-option']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("Unrecognized option: 'no-such-option'");
  }, 60_000);

  it('a compiler path that is a link to hoard', async () => {
    const named = await sandbox.hoard([join(links, 'rustc'), '-vV']);
    expect(named.exitCode).toBe(2);
    expectOneLine(named, /the compiler '.*\/links\/rustc' is hoard itself/);
  }, 60_000);

  it('a link named rustc run as the compiler, directly and from cargo through PATH', async () => {
    // `rustc --version` must not answer with hoard's version.
    const direct = await execa(join(links, 'rustc'), ['--version'], {
      env: sandbox.env,
      extendEnv: false,
      reject: false,
    });
    expect(direct.exitCode).toBe(2);
    expect(direct.stdout).toBe('');
    expectOneLine(
      { exitCode: 2, stdout: '', stderr: direct.stderr },
      /'.*\/links\/rustc' is a link to hoard, and hoard is not a compiler/,
    );
    const build = await sandbox.cargo(project, ['build'], { PATH: `${links}:${sandbox.env.PATH}` });
    expect(build.exitCode).not.toBe(0);
    expect(occurrences(build.stderr, 'is a link to hoard')).toBe(1);
  }, 60_000);

  it('a PATH entry that leads back to hoard', async () => {
    const result = await sandbox.hoard(['rustc', '-vV'], { PATH: `${loop}:${sandbox.env.PATH}` });
    expect(result.exitCode).toBe(2);
    expectOneLine(result, /'rustc' leads back to hoard with the same compile/);
  }, 60_000);

  it('RUSTC_WRAPPER=hoard run again inside a hoard-run compile', async () => {
    const build = await sandbox.cargo(project, ['build'], { RUSTC: join(sandbox.root, 'wrapping-rustc') });
    expect(build.exitCode).not.toBe(0);
    expect(occurrences(build.stderr, 'leads back to hoard')).toBe(1);
    expect(build.stderr).toMatch(/^hoard: '.*wrapping-rustc' leads back to hoard/m);
  }, 60_000);
});

describe('hoard config set', () => {
  let sandbox: Sandbox;

  beforeAll(() => {
    requireBuiltAndInstalled(FIXTURE);
    sandbox = createSandbox();
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('edits one line, keeps the comments, and the running server applies it (same pid)', async () => {
    const file = join(sandbox.root, 'config', 'hoard', 'config.toml');
    mkdirSync(join(sandbox.root, 'config', 'hoard'), { recursive: true });
    writeFileSync(file, '# team defaults\ncache_size = "10G"   # see the wiki\nlog_level = "info"\n');
    expectSuccess(await sandbox.hoard(['server', 'start']), 'server start');
    const pid = (JSON.parse((await sandbox.hoard(['server', 'status', '--json'])).stdout) as { pid: number }).pid;

    const set = await sandbox.hoard(['config', 'set', 'cache_size', '3M']);
    expectSuccess(set, 'hoard config set');
    expect(set.stdout).toContain(`cache_size = "3M" (was "10G")`);
    expect(set.stdout).toContain(`the running server (pid ${pid}) applies it within a second`);
    expect(readFileSync(file, 'utf8')).toBe(
      '# team defaults\ncache_size = "3M"   # see the wiki\nlog_level = "info"\n',
    );

    const deadline = Date.now() + 10_000;
    let limit = (await sandbox.stats()).cache.limitBytes;
    while (limit !== 3 * 1024 ** 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      limit = (await sandbox.stats()).cache.limitBytes;
    }
    expect(limit).toBe(3 * 1024 ** 2);
    expect((await sandbox.stats()).server.pid).toBe(pid);
  });

  it('refuses a bad value in one line and leaves the file alone', async () => {
    const file = join(sandbox.root, 'config', 'hoard', 'config.toml');
    const before = readFileSync(file, 'utf8');
    const bad = await sandbox.hoard(['config', 'set', 'cache_size', 'lots']);
    expect(bad.exitCode).toBe(1);
    expectOneLine(bad, /cache_size "lots": expected a size such as "10G".*nothing was written/);
    const unknown = await sandbox.hoard(['config', 'set', 'max_size', '1G']);
    expect(unknown.exitCode).toBe(1);
    expectOneLine(unknown, /'max_size' is not a config key; keys: basedirs, cache_access, cache_dir/);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('doctor tells a server running another configuration, and a broken file', async () => {
    const file = join(sandbox.root, 'config', 'hoard', 'config.toml');
    expectSuccess(await sandbox.hoard(['server', 'stop']), 'server stop');
    // The story: a server started from a shell with an override this one does not have.
    expectSuccess(
      await sandbox.hoard(['server', 'start'], { HOARD_CACHE_SIZE: '1M' }),
      'server start with HOARD_CACHE_SIZE',
    );
    const differs = await sandbox.hoard(['doctor']);
    expect(differs.exitCode).toBe(1);
    expect(differs.stdout).toMatch(
      /^WARN {2}server-config +the server runs another configuration .*cache_size 1\.0 MiB \(environment\) where this shell says 3\.0 MiB \(file\)/m,
    );

    // A server without overrides reads the file; an edit that breaks it is reported by both sides.
    expectSuccess(await sandbox.hoard(['server', 'stop']), 'server stop');
    expectSuccess(await sandbox.hoard(['server', 'start']), 'server start');
    writeFileSync(file, 'cache_size = "lots"\n');
    const deadline = Date.now() + 10_000;
    let broken = await sandbox.hoard(['doctor', '--json']);
    while (!broken.stdout.includes('"server-config",\n      "status": "fail"') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      broken = await sandbox.hoard(['doctor', '--json']);
    }
    const report = JSON.parse(broken.stdout) as DoctorReport;
    expect(broken.exitCode).toBe(1);
    expect(report.checks.find((check) => check.id === 'config')).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/config\.toml:1: cache_size: expected a size/),
    });
    expect(report.checks.find((check) => check.id === 'server-config')).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('keeps the last good configuration'),
    });
  });
});

describe('an upgrade of hoard while a server of the old version runs', () => {
  let sandbox: Sandbox;

  beforeAll(() => {
    requireBuiltAndInstalled(FIXTURE);
    sandbox = createSandbox();
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('the first compiles of the new version replace it, and the build goes through the cache', async () => {
    // The old version: this server, speaking the protocol version before this one.
    const oldDir = join(sandbox.root, 'old-hoard');
    mkdirSync(oldDir);
    symlinkSync(join(REPO, 'node_modules'), join(sandbox.root, 'node_modules'));
    const source = readFileSync(join(REPO, 'dist', 'server.mjs'), 'utf8');
    const current = Number(/var PROTOCOL_VERSION = (\d+);/.exec(source)?.[1]);
    expect(current).toBeGreaterThan(0);
    writeFileSync(
      join(oldDir, 'server.mjs'),
      source.replace(/var PROTOCOL_VERSION = \d+;/, `var PROTOCOL_VERSION = ${current - 1};`),
    );
    const old = execa(process.execPath, [join(oldDir, 'server.mjs'), '--daemon'], {
      env: sandbox.env,
      extendEnv: false,
      cwd: sandbox.root,
      reject: false,
      stdio: 'ignore',
    });
    const socketPath = join(sandbox.root, 'run', 'hoard', 'server.sock');
    const deadline = Date.now() + 10_000;
    while (!existsSync(socketPath) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(existsSync(socketPath)).toBe(true);

    const project = sandbox.project(FIXTURE);
    expectSuccess(await sandbox.cargo(project, ['build']), 'build with the old server running');
    // The old server drained and exited on its own.
    expect((await old).exitCode).toBe(0);
    const { counters, server } = await sandbox.stats();
    expect(server.pid).not.toBe(old.pid);
    expect(counters.misses).toBeGreaterThanOrEqual(5);
    expect(sumOf(counters.errors)).toBe(0);
    // No wrapper had to compile around the cache: every compile went through the new server.
    const errorLog = join(sandbox.root, 'cache', 'hoard', 'error.log');
    expect(existsSync(errorLog) ? readFileSync(errorLog, 'utf8') : '').toBe('');
  });
});
