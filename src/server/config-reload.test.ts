import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, defaultConfig, type LoadedConfig } from '../config/load.js';
import { ConfigInForce, loadStartingConfig } from './config-reload.js';
import { Logger } from './logger.js';

describe('ConfigInForce', () => {
  let root: string;
  let log: Logger;
  let next: () => LoadedConfig;
  let applied: number;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'hoard-config-reload-'));
    log = new Logger('info', { file: join(root, 'server.log'), errorLog: join(root, 'error.log') });
    applied = 0;
  });

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  function start(): LoadedConfig {
    return defaultConfig({ HOARD_DIR: join(root, 'hoard'), HOME: root });
  }

  function inForce(): ConfigInForce {
    return new ConfigInForce({ start: { loaded: start() }, load: () => next(), log, onApplied: () => (applied += 1) });
  }

  it('applies an edit at once, keeping the cache directory, and reports it', () => {
    const settings = inForce();
    const original = settings.config.cache_dir;
    next = () => {
      const loaded = start();
      return {
        ...loaded,
        config: { ...loaded.config, cache_size: 1234, log_level: 'debug', cache_dir: join(root, 'elsewhere') },
      };
    };
    settings.reload();
    expect(settings.config).toMatchObject({ cache_size: 1234, cache_dir: original });
    expect(log.level).toBe('debug');
    expect(applied).toBe(1);
    expect(readFileSync(join(root, 'server.log'), 'utf8')).toContain(
      `cache_dir is now ${join(root, 'elsewhere')}: it applies to the next server`,
    );
  });

  it('keeps the configuration in force after a broken edit, and says what is wrong until it is fixed', () => {
    const settings = inForce();
    const before = settings.config;
    next = () => {
      throw new ConfigError('config.toml:3: cache_size: not a size');
    };
    settings.reload();
    expect(settings.config).toBe(before);
    expect(settings.problem).toBe('config.toml:3: cache_size: not a size');
    expect(applied).toBe(0);
    expect(readFileSync(join(root, 'error.log'), 'utf8')).toContain('The configuration in force is unchanged.');
    next = start;
    settings.reload();
    expect(settings.problem).toBeUndefined();
  });

  it('keeps a log level given on the command line', () => {
    const settings = new ConfigInForce({ start: { loaded: start() }, load: () => next(), log, logLevel: 'warn' });
    next = () => {
      const loaded = start();
      return { ...loaded, config: { ...loaded.config, log_level: 'debug' } };
    };
    settings.reload();
    expect(log.level).toBe('warn');
  });

  it('starts with the defaults and the problem when the file is broken', () => {
    const env = { HOARD_DIR: join(root, 'hoard'), HOME: root, HOARD_CACHE_SIZE: 'lots' };
    const { loaded, problem } = loadStartingConfig(env);
    expect(problem).toMatch(/HOARD_CACHE_SIZE/);
    expect(loaded.config.cache_size).toBe(defaultConfig(env).config.cache_size);
  });
});
