import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import type { StatsSnapshot } from '../../src/stats/snapshot.js';

export const REPO = resolve(import.meta.dirname, '..', '..');
export const HOARD = join(REPO, 'bin', 'hoard');

/** A fixture's directory: a name under test/fixtures, or a path relative to the repository (bench/project). */
function fixtureDir(fixture: string): string {
  return fixture.includes('/') ? join(REPO, fixture) : join(REPO, 'test', 'fixtures', fixture);
}

/** Where Debian's crate packages put their sources; HOARD_TEST_DEBIAN_REGISTRY points elsewhere (a test of the skips). */
export const DEBIAN_REGISTRY = process.env.HOARD_TEST_DEBIAN_REGISTRY || '/usr/share/cargo/registry';
const DEBIAN_DEFAULT = '/usr/share/cargo/registry';

/** The directory source a fixture's .cargo/config.toml names, resolved as cargo does (relative to the project). */
function registryOf(projectDir: string): string | undefined {
  const configFile = join(projectDir, '.cargo', 'config.toml');
  if (!existsSync(configFile)) return undefined;
  const directory = /^directory = "([^"]+)"$/m.exec(readFileSync(configFile, 'utf8'))?.[1];
  if (directory === undefined) return undefined;
  return directory === DEBIAN_DEFAULT ? DEBIAN_REGISTRY : resolve(projectDir, directory);
}

/**
 * Why a fixture cannot be built on this machine (registry crates missing), or undefined when it can.
 * The core fixtures use test/fixtures/registry and always can; those built from Debian's crate packages
 * (bench/project, cc-crates) are skipped with the reason where they are absent, except under CI=true,
 * where .ci/run installs them and their absence is a failure.
 */
export function fixtureSkipReason(fixture: string): string | undefined {
  const dir = fixtureDir(fixture);
  const registry = registryOf(dir);
  if (registry === undefined) return undefined;
  const lock = readFileSync(join(dir, 'Cargo.lock'), 'utf8');
  const missing = [...lock.matchAll(/name = "([^"]+)"\nversion = "([^"]+)"\nsource/g)]
    .map(([, name, version]) => `${name}-${version}`)
    .filter((crate) => !existsSync(join(registry, crate)));
  if (missing.length === 0) return undefined;
  const shown =
    missing.length > 4 ? `${missing.slice(0, 4).join(', ')} and ${missing.length - 4} more` : missing.join(', ');
  const reason = `${fixture} needs crates missing from ${registry} (${shown}); install Debian's packages: apt-get install $(grep -v '^#' .ci/apt-packages.txt)`;
  if (process.env.CI === 'true') throw new Error(reason);
  console.warn(`SKIPPED ${fixture}: ${reason}`);
  return reason;
}

/**
 * Why tests that run these programs cannot run here (one of them is not on PATH), or undefined. As with
 * fixtureSkipReason: said on the output when skipped, and a failure under CI=true.
 */
export function toolsSkipReason(what: string, tools: string[]): string | undefined {
  const missing = tools.filter(
    (tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0,
  );
  if (missing.length === 0) return undefined;
  const reason = `${what} needs ${missing.join(' and ')} on PATH (Debian: apt-get install ${missing.join(' ')})`;
  if (process.env.CI === 'true') throw new Error(reason);
  console.warn(`SKIPPED ${what}: ${reason}`);
  return reason;
}

/** Stops the suite early with the install step that is missing, instead of failing obscurely. */
export function requireBuiltAndInstalled(fixture: string): void {
  if (!existsSync(join(REPO, 'dist', 'hoard.cjs')))
    throw new Error('dist/ is missing: run `npm run build` (npm test does it).');
  const reason = fixtureSkipReason(fixture);
  if (reason !== undefined) throw new Error(reason);
}

export interface Sandbox {
  root: string;
  env: Record<string, string>;
  /** A copy of a fixture project inside the sandbox. */
  project(fixture: string, name?: string): string;
  cargo(cwd: string, args: string[], extraEnv?: Record<string, string | undefined>): Promise<CommandResult>;
  hoard(args: string[], extraEnv?: Record<string, string>): Promise<CommandResult>;
  stats(): Promise<StatsSnapshot>;
  dispose(): Promise<void>;
}

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** An isolated user: its own cache, config and runtime directories, and so its own hoard server. */
export function createSandbox(): Sandbox {
  const root = mkdtempSync(join(tmpdir(), 'hoard-e2e-'));
  for (const dir of ['cache', 'config', 'run']) mkdirSync(join(root, dir), { recursive: true, mode: 0o700 });
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name, value]) =>
        value !== undefined && !name.startsWith('HOARD_') && !name.startsWith('CARGO_') && !name.startsWith('RUSTC'),
    ),
  ) as Record<string, string>;
  const env: Record<string, string> = {
    ...inherited,
    XDG_CACHE_HOME: join(root, 'cache'),
    XDG_CONFIG_HOME: join(root, 'config'),
    XDG_RUNTIME_DIR: join(root, 'run'),
    RUSTC_WRAPPER: HOARD,
    CARGO_INCREMENTAL: '0',
    CARGO_TERM_COLOR: 'never',
    CARGO_TERM_PROGRESS_WHEN: 'never',
    // `HOARD_FAST_PATH=0 npx vitest run test/e2e` runs the suite through the Node wrapper alone.
    ...(process.env.HOARD_FAST_PATH === undefined ? {} : { HOARD_FAST_PATH: process.env.HOARD_FAST_PATH }),
  };
  const run = async (
    command: string,
    args: string[],
    cwd: string,
    extraEnv: Record<string, string | undefined> = {},
  ): Promise<CommandResult> => {
    const merged: Record<string, string> = { ...env };
    for (const [name, value] of Object.entries(extraEnv)) {
      if (value === undefined) delete merged[name];
      else merged[name] = value;
    }
    const result = await execa(command, args, { cwd, env: merged, extendEnv: false, reject: false, stdin: 'ignore' });
    return { exitCode: result.exitCode ?? 1, stdout: result.stdout, stderr: result.stderr };
  };
  const sandbox: Sandbox = {
    root,
    env,
    project(fixture, name = fixture.replaceAll('/', '-')) {
      const destination = join(root, name);
      cpSync(fixtureDir(fixture), destination, { recursive: true, filter: (source) => !source.includes('/target') });
      // The copy keeps building from the fixture's registry, named by an absolute path now.
      const registry = registryOf(fixtureDir(fixture));
      const configFile = join(destination, '.cargo', 'config.toml');
      if (registry !== undefined) {
        writeFileSync(
          configFile,
          readFileSync(configFile, 'utf8').replace(/^directory = "[^"]+"$/m, `directory = ${JSON.stringify(registry)}`),
        );
      }
      return destination;
    },
    cargo: (cwd, args, extraEnv) => run('cargo', args, cwd, extraEnv),
    hoard: (args, extraEnv) => run(HOARD, args, root, extraEnv),
    async stats() {
      const result = await run(HOARD, ['stats', '--json'], root);
      if (result.exitCode !== 0) throw new Error(`hoard stats failed: ${result.stderr}`);
      return JSON.parse(result.stdout) as StatsSnapshot;
    },
    async dispose() {
      // Which way the calls went, in the test output: bin/hoard's fast path, or the Node wrapper.
      const status = await run(HOARD, ['server', 'status', '--json'], root);
      if (status.exitCode === 0) {
        const { fastPath } = JSON.parse(status.stdout) as {
          fastPath?: { served: number; declined: Record<string, number> };
        };
        if (fastPath)
          console.log(
            `hoard's last server: ${fastPath.served} calls through the fast path, handed to the Node wrapper: ${JSON.stringify(fastPath.declined)}`,
          );
      }
      await run(HOARD, ['server', 'stop'], root);
      rmSync(root, { recursive: true, force: true });
    },
  };
  return sandbox;
}

/**
 * Digest of every file cargo and rustc left in target/debug/deps (libraries, proc-macros, binaries,
 * dep-info) and target/debug/build (build-script binaries and what running them wrote to OUT_DIR),
 * by path relative to the target profile directory.
 */
export function artifactDigests(projectDir: string, targetDir = join(projectDir, 'target')): Map<string, string> {
  const profile = join(targetDir, 'debug');
  const digests = new Map<string, string>();
  for (const top of ['deps', 'build']) {
    for (const entry of readdirSync(join(profile, top), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath, entry.name);
      digests.set(relative(profile, path), createHash('sha256').update(readFileSync(path)).digest('hex'));
    }
  }
  return new Map([...digests].sort(([a], [b]) => (a < b ? -1 : 1)));
}

export function expectSuccess(result: CommandResult, what: string): void {
  if (result.exitCode !== 0)
    throw new Error(`${what} failed (exit ${result.exitCode}):\n${result.stderr.slice(-4000)}`);
}

export type Background = ResultPromise;

/** Digests of the files below `dir` whose names match, by relative path. */
export function digestsOf(dir: string, pattern: RegExp): Map<string, string> {
  const digests = new Map<string, string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !pattern.test(entry.name)) continue;
    const path = join(entry.parentPath, entry.name);
    digests.set(relative(dir, path), createHash('sha256').update(readFileSync(path)).digest('hex'));
  }
  return new Map([...digests].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/**
 * C and C++ misses of a new shape are stored in depend mode; their preprocessed keys are worked out
 * once compile requests pause (src/server/idle-work.ts). Waits until every one has been.
 */
export async function waitForPreprocessedKeys(sandbox: Sandbox): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt += 1) {
    const { ccPreprocessor } = (await sandbox.stats()).counters;
    if ((ccPreprocessor['when-idle'] ?? 0) >= (ccPreprocessor['depend-mode'] ?? 0)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the preprocessed keys of earlier misses were never worked out');
}
