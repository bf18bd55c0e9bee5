import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatDuration } from '../stats/format-units.js';
import { processRuns } from '../fs/process-runs.js';
import { resolveLocations } from '../protocol/locations.js';
import { spawnServer, waitForServer, SERVER_START_TIMEOUT_MS } from '../client/start-server.js';
import { restoredEnvironment } from '../client/environment.js';
import { askServerData, CliError } from './client.js';
import { LOG_LEVELS, type LogLevel } from '../config/schema.js';
import type { FastPathStatus } from '../protocol/messages.js';

/** One line on the fast path: how many calls it answered, and how many it handed to the Node wrapper, why. */
function fastPathLine(fastPath: FastPathStatus): string {
  if (fastPath.unsupported)
    return 'fast path not used on this system (it needs Linux): every call starts the Node wrapper';
  const declined = Object.entries(fastPath.declined).sort(([a], [b]) => (a < b ? -1 : 1));
  const handed = declined.length === 0 ? 'none' : declined.map(([reason, count]) => `${count} ${reason}`).join(', ');
  return `fast path ${fastPath.available ? `${fastPath.ready} lanes ready` : 'lanes unavailable for now'}, ${fastPath.served} calls answered without Node; handed to the Node wrapper: ${handed}`;
}

function serverScript(): string {
  return join(dirname(fileURLToPath(import.meta.url)), 'server.mjs');
}

/**
 * Waits until the server has exited: its socket goes first (so that a new server can start at once),
 * then it finishes the compiles in progress and saves its statistics, and only then is it gone.
 */
async function waitUntilGone(socketPath: string, pid: number | undefined, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!existsSync(socketPath) && (pid === undefined || !processRuns(pid))) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

/** How long `hoard server start` waits for the fast path's lanes once the server answers. */
const LANES_READY_WAIT_MS = 5000;

/**
 * The server's status once bin/hoard's fast path has lanes ready (or cannot have any). The socket
 * answers before the lanes are made (0.1–0.3 s): a build begun right after `hoard server start` would
 * otherwise send its first compiles through Node. Past the wait, the status as it is.
 */
async function statusOnceLanesReady(env: NodeJS.ProcessEnv, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await askServerData('status', env);
    const fastPath = status?.fastPath;
    if (!fastPath || fastPath.unsupported || !fastPath.available || fastPath.ready > 0 || Date.now() > deadline)
      return status;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs the server in this process (`hoard server start --foreground`): given by src/bin/cli.ts, which may import the server. */
export type RunForeground = (options: { foreground: true; logLevel?: LogLevel }) => Promise<number>;

export async function serverCommand(args: string[], runForeground: RunForeground): Promise<number> {
  const [action, ...rest] = args;
  const env = restoredEnvironment(process.env);
  const locations = resolveLocations(env);
  switch (action) {
    case 'start': {
      if (rest.includes('--foreground')) {
        const levelIndex = rest.indexOf('--log-level');
        const level = levelIndex === -1 ? undefined : rest[levelIndex + 1];
        if (level !== undefined && !(LOG_LEVELS as readonly string[]).includes(level)) {
          throw new CliError(`--log-level takes one of ${LOG_LEVELS.join(', ')}`);
        }
        return runForeground({
          foreground: true,
          ...(level ? { logLevel: level as LogLevel } : {}),
        });
      }
      const running = await askServerData('status', env);
      if (running) {
        process.stdout.write(`hoard server already running (pid ${running.pid}, version ${running.version})\n`);
        return 0;
      }
      await spawnServer(serverScript(), locations, env);
      const connection = await waitForServer(locations.socketDir, locations.socketPath, SERVER_START_TIMEOUT_MS).catch(
        (error: Error) => {
          throw new CliError(`${error.message}; see ${locations.serverLogPath} and ${locations.errorLogPath}`);
        },
      );
      connection.close();
      const status = await statusOnceLanesReady(env, LANES_READY_WAIT_MS);
      process.stdout.write(`hoard server started (pid ${status?.pid}, socket ${locations.socketPath})\n`);
      return 0;
    }
    case 'stop': {
      const running = await askServerData('status', env);
      const stopped = await askServerData('shutdown', env);
      if (stopped === undefined) {
        process.stdout.write('hoard server is not running\n');
        return 0;
      }
      const gone = await waitUntilGone(locations.socketPath, running?.pid, 10_000);
      process.stdout.write(
        gone
          ? 'hoard server stopped (builds in progress were allowed to finish)\n'
          : 'hoard server is stopping; it finishes the compiles in progress first\n',
      );
      return 0;
    }
    case 'status': {
      const status = await askServerData('status', env);
      if (rest.includes('--json')) {
        process.stdout.write(`${JSON.stringify(status ?? { running: false }, null, 2)}\n`);
        return status ? 0 : 1;
      }
      if (!status) {
        process.stdout.write(
          `hoard server is not running (socket ${locations.socketPath}); the next compile starts it\n`,
        );
        return 1;
      }
      const lines = [
        `hoard server running: pid ${status.pid}, version ${status.version}, protocol ${status.protocol}, up ${formatDuration(status.uptimeMs)}`,
        `socket ${status.socket}`,
        status.lanes.unsupported
          ? 'lanes not used on this system (they need Linux): every request uses the socket'
          : status.lanes.available
            ? `lanes ${status.lanes.ready} ready, ${status.lanes.served} requests served through them`
            : 'lanes unavailable for now (the server log says why): requests use the socket',
        ...(status.fastPath ? [fastPathLine(status.fastPath)] : []),
        `config ${status.configFile}${status.configProblem ? ` (NOT IN USE: ${status.configProblem})` : ''}`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
      return 0;
    }
    default:
      throw new CliError(
        action === undefined
          ? "'hoard server' needs an action: start, stop or status."
          : `'hoard server ${action}' is not a server command; use start, stop or status.`,
      );
  }
}
