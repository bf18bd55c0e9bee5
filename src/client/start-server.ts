import { makeDirectorySync } from '../fs/make-directory.js';
import { statSync, writeFileSync } from 'node:fs';
import type { Locations } from '../protocol/locations.js';
import { assertRendezvous } from '../protocol/rendezvous.js';
import { ServerConnection } from './connection.js';
import { INVOKED_AS_VARIABLE, NESTING_VARIABLE } from './environment.js';

/** How long a wrapper waits for a server it started before it compiles on its own. */
export const SERVER_START_TIMEOUT_MS = 5000;
const CONNECT_TIMEOUT_MS = 1000;
const POLL_INTERVAL_MS = 15;
/**
 * After a server failed to start, wrappers compile directly for this long instead of each waiting
 * SERVER_START_TIMEOUT_MS again: a broken install slows a build down once, not once per crate.
 */
const START_FAILURE_BACKOFF_MS = 30_000;

function recentlyFailedToStart(locations: Locations): boolean {
  try {
    return Date.now() - statSync(locations.startFailedPath).mtimeMs < START_FAILURE_BACKOFF_MS;
  } catch {
    return false;
  }
}

/**
 * The environment a server starts with: only what locates the user's files and the config. Anything
 * a compile depends on (PATH, TMPDIR, CARGO_*, the working directory) comes with each request instead,
 * so a server started from a short-lived shell does not carry that shell's state.
 */
export function serverEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const kept: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || name === NESTING_VARIABLE || name === INVOKED_AS_VARIABLE) continue;
    // AWS_*: the standard credential chain of an S3 remote (docs/remote.md).
    if (
      name.startsWith('HOARD_') ||
      name.startsWith('XDG_') ||
      name.startsWith('AWS_') ||
      ['HOME', 'USER', 'LOGNAME', 'PATH', 'LANG', 'LC_ALL', 'NODE_EXTRA_CA_CERTS'].includes(name)
    ) {
      kept[name] = value;
    }
  }
  return kept;
}

export async function spawnServer(serverScript: string, locations: Locations, env: NodeJS.ProcessEnv): Promise<void> {
  const { spawn } = process.getBuiltinModule('node:child_process');
  makeDirectorySync(locations.stateDir, 0o700);
  const child = spawn(process.execPath, [serverScript, '--daemon'], {
    detached: true,
    stdio: 'ignore',
    cwd: locations.stateDir,
    env: serverEnvironment(env),
  });
  child.unref();
}

function isAbsent(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ECONNREFUSED';
}

/**
 * Connects once the socket's directory has passed the trust check (src/protocol/rendezvous.ts), and
 * checks it again once connected, before anything is sent: the server may have made it meanwhile.
 */
async function openTrusted(socketDir: string, socketPath: string): Promise<ServerConnection> {
  assertRendezvous(socketDir);
  const connection = await ServerConnection.open(socketPath, CONNECT_TIMEOUT_MS);
  try {
    assertRendezvous(socketDir);
  } catch (error) {
    connection.close();
    throw error;
  }
  return connection;
}

export async function waitForServer(
  socketDir: string,
  socketPath: string,
  timeoutMs: number,
): Promise<ServerConnection> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      return await openTrusted(socketDir, socketPath);
    } catch (error) {
      lastError = error;
      if (!isAbsent(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    }
  }
  throw new Error(`the server did not start within ${timeoutMs} ms (${(lastError as Error)?.message ?? 'no answer'})`);
}

/** Connects to the running server, starting one if there is none. */
export async function connectOrStart(
  locations: Locations,
  serverScript: string,
  env: NodeJS.ProcessEnv,
): Promise<ServerConnection> {
  try {
    return await openTrusted(locations.socketDir, locations.socketPath);
  } catch (error) {
    if (!isAbsent(error)) throw error;
  }
  if (recentlyFailedToStart(locations)) {
    throw new Error(
      `a server failed to start less than ${START_FAILURE_BACKOFF_MS / 1000} s ago (see ${locations.serverLogPath}); not trying again yet`,
    );
  }
  try {
    await spawnServer(serverScript, locations, env);
    return await waitForServer(locations.socketDir, locations.socketPath, SERVER_START_TIMEOUT_MS);
  } catch (error) {
    try {
      makeDirectorySync(locations.socketDir, 0o700);
      // Never a file written into a directory someone else controls (the marker could be their link).
      if (assertRendezvous(locations.socketDir) !== 'trusted') throw error;
      writeFileSync(locations.startFailedPath, `${new Date().toISOString()} ${(error as Error).message}\n`);
    } catch {
      // Without the marker every wrapper waits for its own attempt; slower, still correct.
    }
    throw error;
  }
}
