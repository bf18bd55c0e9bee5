import { join } from 'node:path';
import { PROTOCOL_VERSION } from './messages.js';

/**
 * Where hoard keeps things, decided from the environment alone so that the wrapper finds the server
 * without reading the config file. Never under TMPDIR: a per-shell TMPDIR (nix-shell, portage) may be
 * deleted while the server still runs.
 */
export interface Locations {
  /** Default cache directory and home of the logs; HOARD_DIR moves it (and gives it its own server). */
  stateDir: string;
  /** The server's socket, in a directory only this user can enter. */
  socketDir: string;
  socketPath: string;
  /**
   * The server's ready lanes (see src/protocol/lanes.ts), one directory per protocol version, so a
   * wrapper of another version never takes one and goes through the socket's version handshake.
   */
  lanesDir: string;
  errorLogPath: string;
  serverLogPath: string;
  /** Left by a wrapper whose server did not come up; removed by the next server that does. */
  startFailedPath: string;
}

type Env = Record<string, string | undefined>;

/**
 * HOME, or the user database's home directory where HOME is unset. node:os is loaded only then: loading
 * it would cost the wrapper time on every compiler call (docs/decisions.md).
 */
function homeDirectory(env: Env): string {
  return env.HOME || process.getBuiltinModule('node:os').homedir();
}

export function defaultCacheHome(env: Env): string {
  return env.XDG_CACHE_HOME?.startsWith('/') ? env.XDG_CACHE_HOME : join(homeDirectory(env), '.cache');
}

export function resolveLocations(env: Env): Locations {
  const explicitDir = env.HOARD_DIR;
  const stateDir = explicitDir || join(defaultCacheHome(env), 'hoard');
  let socketDir: string;
  if (explicitDir) socketDir = join(explicitDir, 'run');
  else if (env.XDG_RUNTIME_DIR?.startsWith('/')) socketDir = join(env.XDG_RUNTIME_DIR, 'hoard');
  else socketDir = join(stateDir, 'run');
  return {
    stateDir,
    socketDir,
    socketPath: join(socketDir, 'server.sock'),
    lanesDir: join(socketDir, `lanes-p${PROTOCOL_VERSION}`),
    errorLogPath: join(stateDir, 'error.log'),
    serverLogPath: join(stateDir, 'server.log'),
    startFailedPath: join(socketDir, 'start-failed'),
  };
}

/** Linux allows 107 bytes in a Unix socket path (sun_path is 108 with the terminator); macOS 103. */
export const MAX_SOCKET_PATH_BYTES = process.platform === 'darwin' ? 103 : 107;
