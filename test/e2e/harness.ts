import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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

/** Stops the suite early with the install step that is missing, instead of failing obscurely. */
export function requireBuiltAndInstalled(fixture: string): void {
  if (!existsSync(join(REPO, 'dist', 'hoard.cjs'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it).');
  const lock = readFileSync(join(fixtureDir(fixture), 'Cargo.lock'), 'utf8');
  const registry = '/usr/share/cargo/registry';
  const missing = [...lock.matchAll(/name = "([^"]+)"\nversion = "([^"]+)"\nsource/g)]
    .map(([, name, version]) => `${name}-${version}`)
    .filter((crate) => !existsSync(join(registry, crate)));
  if (missing.length > 0) {
    throw new Error(`Debian crates missing from ${registry}: ${missing.join(', ')}. Install them: apt-get install $(grep -v '^#' .ci/apt-packages.txt)`);
  }
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
    Object.entries(process.env).filter(([name, value]) => value !== undefined && !name.startsWith('HOARD_') && !name.startsWith('CARGO_') && !name.startsWith('RUSTC')),
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
  const run = async (command: string, args: string[], cwd: string, extraEnv: Record<string, string | undefined> = {}): Promise<CommandResult> => {
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
        const { fastPath } = JSON.parse(status.stdout) as { fastPath?: { served: number; declined: Record<string, number> } };
        if (fastPath) console.log(`hoard's last server: ${fastPath.served} calls through the fast path, handed to the Node wrapper: ${JSON.stringify(fastPath.declined)}`);
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
  if (result.exitCode !== 0) throw new Error(`${what} failed (exit ${result.exitCode}):\n${result.stderr.slice(-4000)}`);
}

export type Background = ResultPromise;
