import type { ConfigKey } from './schema.js';

/** The one table from environment variables to config keys. An environment value beats the file. */
export const ENV_VARIABLES: ReadonlyArray<{ variable: string; key: ConfigKey }> = [
  { variable: 'HOARD_BASEDIRS', key: 'basedirs' },
  { variable: 'HOARD_CACHE_ACCESS', key: 'cache_access' },
  { variable: 'HOARD_CACHE_SIZE', key: 'cache_size' },
  { variable: 'HOARD_COMPRESSION_LEVEL', key: 'compression_level' },
  { variable: 'HOARD_DIR', key: 'cache_dir' },
  { variable: 'HOARD_IDLE_TIMEOUT', key: 'idle_timeout' },
  { variable: 'HOARD_LINKED_CRATES', key: 'linked_crates' },
  { variable: 'HOARD_LOG_LEVEL', key: 'log_level' },
  { variable: 'HOARD_REMOTES', key: 'remotes' },
];

/** Not config keys, but read from the environment too; listed for the docs and `hoard config`. */
export const OTHER_VARIABLES: ReadonlyArray<{ variable: string; meaning: string }> = [
  { variable: 'HOARD_CONFIG', meaning: 'path of the config file' },
  {
    variable: 'HOARD_FAST_PATH',
    meaning: "0 (or false, no, off) turns bin/hoard's fast path off: every compiler call starts the Node wrapper",
  },
  {
    variable: 'HOARD_DEBUG',
    meaning: '1 prints the stack of an internal error (a bug in hoard) after its one-line report',
  },
];
