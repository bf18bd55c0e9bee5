import { maskRemotes } from '../config/remotes.js';
import { PROTOCOL_VERSION, type FastPathStatus, type LaneStatus, type ServerStatus } from '../protocol/messages.js';
import type { StatsSnapshot } from '../stats/snapshot.js';
import { HOARD_VERSION } from '../version.js';
import type { ConfigInForce } from './config-reload.js';
import type { DataRequestHandlers } from './dispatch.js';

export interface DataRequestDependencies {
  /** The statistics as `hoard stats` shows them. */
  snapshot(): StatsSnapshot;
  /** Zeroes the statistics (and tells the live feed). */
  zero(): void;
  config: Pick<ConfigInForce, 'loaded' | 'config' | 'problem'>;
  socketPath: string;
  lanes(): LaneStatus;
  /** bin/hoard's fast path: its lanes, what it answered and what it handed on. */
  fastPath?(): FastPathStatus;
  startedAt: number;
  /** Begins the drain of `hoard server stop`; the reply goes out first. */
  stop(why: string): void;
  now?: () => number;
}

/** The server's snapshot part of `hoard stats`. */
export function serverPart(
  startedAt: number,
  now: number,
): StatsSnapshot['server'] & Pick<ServerStatus, 'running' | 'pid' | 'version' | 'uptimeMs'> {
  return { running: true, pid: process.pid, version: HOARD_VERSION, uptimeMs: now - startedAt };
}

/** The handlers of the command-line tool's questions: stats, zero-stats, status, shutdown. */
export function dataRequestHandlers(deps: DataRequestDependencies): Omit<DataRequestHandlers, 'why-history'> {
  const now = deps.now ?? Date.now;
  return {
    stats: () => deps.snapshot(),
    'zero-stats': () => {
      deps.zero();
      return deps.snapshot();
    },
    // The values in force and where they came from, so `hoard doctor` can compare them with its shell's.
    status: () => ({
      ...serverPart(deps.startedAt, now()),
      protocol: PROTOCOL_VERSION,
      socket: deps.socketPath,
      lanes: deps.lanes(),
      ...(deps.fastPath ? { fastPath: deps.fastPath() } : {}),
      configFile: deps.config.loaded.file,
      configProblem: deps.config.problem,
      // Passwords in remote URLs masked: the status goes to any client of the socket.
      config: { ...deps.config.config, remotes: maskRemotes(deps.config.config.remotes) },
      configSources: deps.config.loaded.sources,
    }),
    shutdown: () => {
      setImmediate(() => deps.stop('asked to stop'));
      return { stopping: true };
    },
  };
}
