import { ConfigError, defaultConfig, loadConfig, type LoadedConfig } from '../config/load.js';
import type { LogLevel } from '../config/schema.js';
import type { Logger } from './logger.js';
import { errorLine, HoardError } from '../errors/hoard-error.js';

type Env = Record<string, string | undefined>;

/** The configuration at start: the file's, or the defaults with the file's problem when it is broken. */
export function loadStartingConfig(env: Env): { loaded: LoadedConfig; problem?: string } {
  try {
    return { loaded: loadConfig(env) };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { loaded: defaultConfig(env), problem: errorLine(error) };
  }
}

export interface ConfigInForceOptions {
  start: { loaded: LoadedConfig; problem?: string };
  /** Reads the config again (loadConfig in the server; a fake in tests). Throws on a broken file. */
  load(): LoadedConfig;
  log: Logger;
  /** A log level given on the command line wins over the file's. */
  logLevel?: LogLevel;
  /** After a new configuration took effect (the cache may now be over its size). */
  onApplied?(): void;
}

/**
 * The configuration a running server works with. Edits to the config file apply within about a second;
 * a broken edit is reported and the last good configuration stays in force. The cache directory is
 * the one thing that needs a new server.
 */
export class ConfigInForce {
  loaded: LoadedConfig;
  config: LoadedConfig['config'];
  problem: string | undefined;
  readonly cacheDir: string;

  constructor(private readonly options: ConfigInForceOptions) {
    this.loaded = options.start.loaded;
    this.config = this.loaded.config;
    this.problem = options.start.problem;
    this.cacheDir = this.config.cache_dir;
  }

  reload(): void {
    const { log } = this.options;
    try {
      const next = this.options.load();
      if (next.config.cache_dir !== this.cacheDir) {
        log.warn(
          `cache_dir is now ${next.config.cache_dir}: it applies to the next server ('hoard server stop'; the next compile starts one)`,
        );
      }
      this.loaded = next;
      const config = { ...next.config, cache_dir: this.cacheDir };
      this.config = config;
      this.problem = undefined;
      log.level = this.options.logLevel ?? config.log_level;
      log.info(
        `configuration reloaded from ${next.file}: cache_size ${config.cache_size}, idle_timeout ${config.idle_timeout} s, log_level ${config.log_level}, basedirs [${config.basedirs.join(', ')}]`,
      );
      this.options.onApplied?.();
    } catch (error) {
      this.problem = error instanceof HoardError ? errorLine(error) : (error as Error).message;
      log.error(`${this.problem} The configuration in force is unchanged.`);
    }
  }
}
