import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorLine } from '../errors/hoard-error.js';
import { ENV_VARIABLES } from './env-table.js';
import { ConfigError, loadConfig } from './load.js';
import { CONFIG_KEYS } from './schema.js';
import { parseDuration, parseSize } from './units.js';

function withConfig(text: string | undefined, extraEnv: Record<string, string> = {}) {
  const home = mkdtempSync(join(tmpdir(), 'hoard-config-'));
  mkdirSync(join(home, 'config', 'hoard'), { recursive: true });
  if (text !== undefined) writeFileSync(join(home, 'config', 'hoard', 'config.toml'), text);
  return {
    home,
    env: { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_CACHE_HOME: join(home, 'cache'), ...extraEnv },
  };
}

describe('loadConfig', () => {
  it('uses the defaults without a file', () => {
    const { home, env } = withConfig(undefined);
    const loaded = loadConfig(env);
    expect(loaded.fileExists).toBe(false);
    expect(loaded.config).toEqual({
      basedirs: [],
      cache_access: 'private',
      cache_dir: join(home, 'cache', 'hoard'),
      cache_size: 10 * 1024 ** 3,
      compression_level: 3,
      idle_timeout: 600,
      linked_crates: ['binary', 'build-script', 'dylib', 'proc-macro'],
      log_level: 'info',
      remotes: [],
    });
    expect(new Set(Object.values(loaded.sources))).toEqual(new Set(['default']));
  });

  it('reads the file, and the environment beats it', () => {
    const { env } = withConfig('cache_size = "20G"\nidle_timeout = "1h"\nlog_level = "debug"\n', {
      HOARD_LOG_LEVEL: 'warn',
    });
    const loaded = loadConfig(env);
    expect(loaded.config).toMatchObject({ cache_size: 20 * 1024 ** 3, idle_timeout: 3600, log_level: 'warn' });
    expect(loaded.sources).toMatchObject({ cache_size: 'file', log_level: 'environment', cache_dir: 'default' });
  });

  it('names file, line and key for a bad value', () => {
    const { env, home } = withConfig('# my cache\n\ncache_size = "lots"\n');
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(
      `${join(home, 'config', 'hoard', 'config.toml')}:3: cache_size: expected a size such as "10G"`,
    );
  });

  it('names an unknown key and lists the known ones', () => {
    const { env } = withConfig('max_size = "5G"\n');
    expect(() => loadConfig(env)).toThrow(
      /config\.toml:1: unknown key 'max_size'\. Known keys: basedirs, cache_access, cache_dir, cache_size/,
    );
  });

  it('reports a TOML syntax error with its line and column', () => {
    const { env } = withConfig('cache_size = "5G"\nlog_level = \n');
    expect(() => loadConfig(env)).toThrow(/config\.toml:2:\d+: not valid TOML/);
  });

  it('says what to do about a broken or unreadable file, and keeps what went wrong underneath as the cause', () => {
    const caught = (env: Record<string, string>): ConfigError => {
      try {
        loadConfig(env);
      } catch (error) {
        if (error instanceof ConfigError) return error;
        throw error;
      }
      throw new Error('loadConfig accepted it');
    };
    const broken = caught(withConfig('log_level = \n').env);
    expect(errorLine(broken)).toMatch(
      /config\.toml:1:\d+: not valid TOML: .*; fix the file, or move it away to use the defaults\.$/,
    );
    expect(broken.cause).toBeInstanceOf(Error);
    const { env, home } = withConfig(undefined);
    // A directory where the file should be: reading it fails with EISDIR.
    mkdirSync(join(home, 'config', 'hoard', 'config.toml'));
    const unreadable = caught(env);
    expect(errorLine(unreadable)).toMatch(
      /config\.toml: cannot read the config file: EISDIR.*; make it readable, or point HOARD_CONFIG at another file\.$/,
    );
    expect((unreadable.cause as NodeJS.ErrnoException).code).toBe('EISDIR');
  });

  it('reads the linked crate kinds from a list or a comma-separated variable, and rejects unknown kinds', () => {
    expect(loadConfig(withConfig('linked_crates = ["proc-macro"]\n').env).config.linked_crates).toEqual(['proc-macro']);
    expect(loadConfig(withConfig('linked_crates = []\n').env).config.linked_crates).toEqual([]);
    expect(
      loadConfig(withConfig(undefined, { HOARD_LINKED_CRATES: 'binary, dylib' }).env).config.linked_crates,
    ).toEqual(['binary', 'dylib']);
    expect(() => loadConfig(withConfig('linked_crates = ["bins"]\n').env)).toThrow(
      /linked_crates.*expected a list of binary, build-script, dylib, proc-macro/,
    );
  });

  it('reads the compression level from the file or the environment, a whole number from 0 to 19', () => {
    expect(loadConfig(withConfig('compression_level = 1\n').env).config.compression_level).toBe(1);
    expect(loadConfig(withConfig(undefined, { HOARD_COMPRESSION_LEVEL: '0' }).env).config.compression_level).toBe(0);
    expect(() => loadConfig(withConfig('compression_level = 22\n').env)).toThrow(
      /compression_level: expected a whole number from 0 to 19/,
    );
    expect(() => loadConfig(withConfig('compression_level = 2.5\n').env)).toThrow(
      /compression_level: expected a whole number from 0 to 19/,
    );
    expect(() => loadConfig(withConfig(undefined, { HOARD_COMPRESSION_LEVEL: 'max' }).env)).toThrow(
      /HOARD_COMPRESSION_LEVEL: compression_level: expected a whole number from 0 to 19/,
    );
  });

  it('blames the environment variable when that is where a bad value came from', () => {
    const { env } = withConfig(undefined, { HOARD_IDLE_TIMEOUT: 'soon' });
    expect(() => loadConfig(env)).toThrow(
      /^environment variable HOARD_IDLE_TIMEOUT: idle_timeout: expected a duration/,
    );
  });
});

describe('the environment table', () => {
  it('maps every variable to a config key, each key at most once, sorted by variable', () => {
    for (const { key } of ENV_VARIABLES) expect(CONFIG_KEYS).toContain(key);
    const keys = ENV_VARIABLES.map(({ key }) => key);
    expect(new Set(keys).size).toBe(keys.length);
    const variables = ENV_VARIABLES.map(({ variable }) => variable);
    expect(variables).toEqual([...variables].sort());
  });
});

describe('units', () => {
  it.each([
    ['10G', 10 * 1024 ** 3],
    ['512MiB', 512 * 1024 ** 2],
    ['1.5 GB', 1.5 * 1024 ** 3],
    [2048, 2048],
    ['2048', 2048],
  ])('size %s', (text, bytes) => expect(parseSize(text)).toBe(bytes));
  it.each(['', 'ten', '-1G', '5X'])('rejects size %j', (text) => expect(parseSize(text)).toBeUndefined());
  it.each([
    ['10m', 600],
    ['30s', 30],
    ['1h', 3600],
    ['0', 0],
  ])('duration %s', (text, seconds) => expect(parseDuration(text)).toBe(seconds));
});

describe('messages for nonsense values', () => {
  it.each([
    [
      'cache_size = true\n',
      'cache_size: expected a size such as "10G", "500M" or a number of bytes, got the boolean true.',
    ],
    [
      'cache_size = 1e400\n',
      'cache_size: expected a size such as "10G", "500M" or a number of bytes, got a number too large to hold.',
    ],
    ['cache_size = [1]\n', 'got a list.'],
    ['cache_size = 0\n', 'cache_size: 0 is less than allowed: use "1M" to "1024T".'],
    ['cache_size = 1e26\n', 'cache_size: 1e+26 is more than allowed: use "1M" to "1024T".'],
    ['cache_size = "100000000000T"\n', 'is more than allowed'],
    ['idle_timeout = "100000h"\n', 'idle_timeout: "100000h" is more than allowed: use 0 to "8760h".'],
    ['cache_access = "world"\n', 'cache_access: expected "private"'],
    ['cache_size = "10G\n', ':1:18: not valid TOML: a string is not closed: end it with its quote on the same line'],
    ['cache_size = "10G', 'not valid TOML: a string is not closed'],
  ])('%j', (text, message) => {
    const { env } = withConfig(text);
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('accepts the bounds themselves', () => {
    expect(loadConfig(withConfig('cache_size = "1M"\nidle_timeout = 0\n').env).config).toMatchObject({
      cache_size: 1024 ** 2,
      idle_timeout: 0,
    });
    expect(loadConfig(withConfig('cache_size = "1024T"\ncache_access = "group"\n').env).config).toMatchObject({
      cache_size: 1024 ** 5,
      cache_access: 'group',
    });
  });
});
