import { accessSync, constants, existsSync, readFileSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { parse } from 'smol-toml';

type Env = Record<string, string | undefined>;

export function cargoHome(env: Env): string {
  return env.CARGO_HOME ? resolve(env.CARGO_HOME) : join(env.HOME || homedir(), '.cargo');
}

/** cargo reads `config.toml`, or the older `config` when only that one exists. */
function configIn(dir: string): string | undefined {
  for (const name of ['config.toml', 'config']) if (existsSync(join(dir, name))) return join(dir, name);
  return undefined;
}

/** The file `hoard init` edits: the one cargo reads in CARGO_HOME, `config.toml` when there is none. */
export function homeConfigFile(env: Env): string {
  const home = cargoHome(env);
  return configIn(home) ?? join(home, 'config.toml');
}

/**
 * cargo's config files as cargo finds them from `cwd`, highest precedence first: `.cargo/config.toml`
 * in the directory and each parent, then CARGO_HOME's (read once if it is also a parent's).
 */
export function cargoConfigFiles(cwd: string, env: Env): string[] {
  const files: string[] = [];
  const home = cargoHome(env);
  let dir = resolve(cwd);
  for (;;) {
    const cargoDir = join(dir, '.cargo');
    const file = cargoDir === home ? undefined : configIn(cargoDir);
    if (file) files.push(file);
    if (dirname(dir) === dir) break;
    dir = dirname(dir);
  }
  const homeFile = configIn(home);
  if (homeFile) files.push(homeFile);
  return files;
}

export interface CargoSetting {
  value: string | boolean;
  /** 'environment variable X' or the file that set it. */
  from: string;
  /** The file, for values that came from one: a relative tool path is relative to its .cargo's parent. */
  file?: string;
}

function readDocument(file: string): Record<string, unknown> | undefined {
  try {
    return parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined; // cargo itself reports a broken config file, better than we could.
  }
}

/** `document.a.b.c`, when every step is a table. */
function valueAt(document: Record<string, unknown> | undefined, path: string[]): unknown {
  let current: unknown = document;
  for (const step of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[step];
  }
  return current;
}

function fromFiles(files: string[], table: string, key: string): CargoSetting | undefined {
  for (const file of files) {
    const value = valueAt(readDocument(file), [...table.split('.'), key]);
    if (typeof value === 'string' || typeof value === 'boolean') return { value, from: file, file };
  }
  return undefined;
}

/** The manifest whose profiles apply from `cwd`: the outermost Cargo.toml with [workspace], else the nearest. */
function rootManifest(cwd: string): string | undefined {
  let nearest: string | undefined;
  let workspace: string | undefined;
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const manifest = join(dir, 'Cargo.toml');
    if (existsSync(manifest)) {
      nearest ??= manifest;
      if (readDocument(manifest)?.workspace !== undefined) workspace = manifest;
    }
    if (dirname(dir) === dir) break;
  }
  return workspace ?? nearest;
}

/**
 * The wrapper cargo uses for rustc from `cwd`: RUSTC_WRAPPER, then build.rustc-wrapper
 * (CARGO_BUILD_RUSTC_WRAPPER, then the files). An empty value means none.
 */
export function rustcWrapperSetting(cwd: string, env: Env): CargoSetting | undefined {
  for (const variable of ['RUSTC_WRAPPER', 'CARGO_BUILD_RUSTC_WRAPPER']) {
    const value = env[variable];
    if (value !== undefined) return { value, from: `environment variable ${variable}` };
  }
  return fromFiles(cargoConfigFiles(cwd, env), 'build', 'rustc-wrapper');
}

/**
 * Whether incremental compilation is on for dev builds from `cwd`: CARGO_INCREMENTAL, then
 * build.incremental, then the dev profile (environment, config files, the workspace's Cargo.toml).
 * undefined: cargo's default, on.
 */
export function incrementalSetting(cwd: string, env: Env): CargoSetting | undefined {
  for (const variable of ['CARGO_INCREMENTAL', 'CARGO_BUILD_INCREMENTAL']) {
    const value = env[variable];
    if (value !== undefined && value !== '') {
      return {
        value: variable === 'CARGO_INCREMENTAL' ? value === '1' : value === 'true',
        from: `environment variable ${variable}`,
      };
    }
  }
  const files = cargoConfigFiles(cwd, env);
  const build = fromFiles(files, 'build', 'incremental');
  if (build) return build;
  // build.incremental overrides the profiles; without it the dev profile decides.
  const profileVariable = env.CARGO_PROFILE_DEV_INCREMENTAL;
  if (profileVariable !== undefined && profileVariable !== '')
    return { value: profileVariable === 'true', from: 'environment variable CARGO_PROFILE_DEV_INCREMENTAL' };
  const profile = fromFiles(files, 'profile.dev', 'incremental');
  if (profile) return { ...profile, from: `[profile.dev] in ${profile.from}` };
  const manifest = rootManifest(cwd);
  const value = valueAt(manifest ? readDocument(manifest) : undefined, ['profile', 'dev', 'incremental']);
  return typeof value === 'boolean' ? { value, from: `[profile.dev] in ${manifest}` } : undefined;
}

/** The first executable called `name` on PATH. */
export function onPath(name: string, env: Env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Where a tool setting leads: a bare name is looked up on PATH, a path is relative to the config's project. */
export function resolveTool(setting: CargoSetting, env: Env): string | undefined {
  const value = String(setting.value).trim().split(/\s+/)[0] ?? '';
  if (value === '') return undefined;
  if (!value.includes('/')) return onPath(value, env);
  if (isAbsolute(value)) return value;
  return setting.file ? resolve(dirname(dirname(setting.file)), value) : resolve(value);
}

/** A tool setting that runs hoard (by name, by path, or through links to it). */
export function isHoard(setting: CargoSetting, env: Env): boolean {
  // A name that cannot be found is judged by itself; `hoard doctor` reports it as not found.
  const tool = resolveTool(setting, env) ?? (String(setting.value).trim().split(/\s+/)[0] || undefined);
  if (!tool) return false;
  let real = tool;
  try {
    real = realpathSync(tool);
  } catch {
    // a path that does not exist: judge it by its name
  }
  return basename(real).includes('hoard') || basename(tool).includes('hoard');
}
