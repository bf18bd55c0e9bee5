import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse, TomlError } from 'smol-toml';
import { resolveLocations } from '../protocol/locations.js';
import { ENV_VARIABLES } from './env-table.js';
import { remoteSchema } from './remotes.js';
import { configSchema, type Config, type ConfigKey } from './schema.js';
import { HoardError } from '../errors/hoard-error.js';

export type ValueSource = 'default' | 'file' | 'environment';

export interface LoadedConfig {
  config: Config & { cache_dir: string };
  sources: Record<ConfigKey, ValueSource>;
  file: string;
  fileExists: boolean;
}

/** A config problem the user can fix: one line naming the file, line and key. */
export class ConfigError extends HoardError {
  override name = 'ConfigError';
  override readonly code = 'config';
}

type Env = Record<string, string | undefined>;

export function configFilePath(env: Env): string {
  if (env.HOARD_CONFIG) return env.HOARD_CONFIG;
  const configHome = env.XDG_CONFIG_HOME?.startsWith('/')
    ? env.XDG_CONFIG_HOME
    : join(env.HOME || homedir(), '.config');
  return join(configHome, 'hoard', 'config.toml');
}

function lineOfKey(text: string, key: string): number | undefined {
  const lines = text.split('\n');
  const pattern = new RegExp(`^\\s*["']?${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}["']?\\s*=`);
  const index = lines.findIndex((line) => pattern.test(line));
  return index === -1 ? undefined : index + 1;
}

/**
 * smol-toml's reason, in the user's terms where it has a misleading one: a string left open at the end
 * of its line is "control characters are not allowed in strings" (the line break is the character).
 */
function tomlReason(error: TomlError, text: string): string {
  const reason = error.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
  const line = text.split('\n')[error.line - 1] ?? '';
  const atEndOfLine = error.column - 1 >= line.replace(/\r$/, '').length;
  if ((/control characters/.test(reason) && atEndOfLine) || /unfinished string/.test(reason)) {
    return 'a string is not closed: end it with its quote on the same line (cache_size = "10G")';
  }
  return reason;
}

function readToml(file: string, text: string): Record<string, unknown> {
  try {
    return parse(text) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof TomlError) {
      const reason = tomlReason(error, text);
      throw new ConfigError(`${file}:${error.line}:${error.column}: not valid TOML: ${reason}`, {
        hint: 'fix the file, or move it away to use the defaults.',
        cause: error,
      });
    }
    throw error;
  }
}

/** `remotes[1].timeout` for the second remote's timeout (counted from 1, as a reader counts tables). */
function issuePath(path: readonly PropertyKey[]): string {
  return path
    .map((part, index) =>
      typeof part === 'number' ? `[${part + 1}]` : index === 0 ? String(part) : `.${String(part)}`,
    )
    .join('');
}

/** Validates the merged values; every error names where the offending value came from. */
function validate(values: Record<string, unknown>, origin: (key: string) => string): Config {
  const result = configSchema.safeParse(values);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const key = String(issue.path[0] ?? '');
  if (issue.code === 'unrecognized_keys') {
    const unknown = issue.keys[0]!;
    if (issue.path.length > 0) {
      throw new ConfigError(
        `${origin(key)}: ${issuePath(issue.path)}: unknown key '${unknown}'. Known keys of a remote: ${Object.keys(remoteSchema.shape).join(', ')}.`,
      );
    }
    throw new ConfigError(
      `${origin(unknown)}: unknown key '${unknown}'. Known keys: ${Object.keys(configSchema.shape).join(', ')}.`,
    );
  }
  throw new ConfigError(`${origin(key)}: ${issuePath(issue.path)}: ${issue.message}.`);
}

export function parseConfigText(text: string, file: string): Record<string, unknown> {
  return readToml(file, text);
}

/** Checks the text of a config file as a server would read it, environment aside. */
export function validateConfigText(text: string, file: string): Config {
  return validate(readToml(file, text), (key) => {
    const line = lineOfKey(text, key);
    return line === undefined ? file : `${file}:${line}`;
  });
}

export function loadConfig(env: Env): LoadedConfig {
  const file = configFilePath(env);
  let text = '';
  let fileExists = true;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ConfigError(`${file}: cannot read the config file: ${(error as Error).message}`, {
        hint: 'make it readable, or point HOARD_CONFIG at another file.',
        cause: error,
      });
    }
    fileExists = false;
  }
  const fromFile = fileExists ? readToml(file, text) : {};
  const merged: Record<string, unknown> = { ...fromFile };
  const sources = {} as Record<ConfigKey, ValueSource>;
  const fromEnv = new Map<string, string>();
  for (const { variable, key } of ENV_VARIABLES) {
    const value = env[variable];
    if (value !== undefined && value !== '') {
      merged[key] = value;
      fromEnv.set(key, variable);
    }
  }
  const origin = (key: string): string => {
    const variable = fromEnv.get(key);
    if (variable) return `environment variable ${variable}`;
    const line = lineOfKey(text, key);
    return line === undefined ? file : `${file}:${line}`;
  };
  const config = validate(merged, origin);
  for (const key of Object.keys(configSchema.shape) as ConfigKey[]) {
    sources[key] = fromEnv.has(key) ? 'environment' : key in fromFile ? 'file' : 'default';
  }
  return {
    config: { ...config, cache_dir: config.cache_dir ?? resolveLocations(env).stateDir },
    sources,
    file,
    fileExists,
  };
}

/** The configuration with nothing set: what a server runs with while the config file is broken. */
export function defaultConfig(env: Env): LoadedConfig {
  const config = configSchema.parse({});
  const sources = Object.fromEntries(Object.keys(configSchema.shape).map((key) => [key, 'default'])) as Record<
    ConfigKey,
    ValueSource
  >;
  return {
    config: { ...config, cache_dir: resolveLocations(env).stateDir },
    sources,
    file: configFilePath(env),
    fileExists: false,
  };
}
