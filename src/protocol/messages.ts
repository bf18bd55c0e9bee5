import type { HitRatePoint } from '../stats/history.js';
import type { StatsSnapshot } from '../stats/snapshot.js';
import type { SavedHistory } from '../why/history.js';

export type { HitRatePoint } from '../stats/history.js';

/**
 * Messages between the wrapper (and other clients) and the cache server. Every message a client sends
 * carries `v`; a server that sees another version answers `version-mismatch`, finishes what it is doing
 * and exits, so that the client can start a server of its own version.
 *
 * Bump PROTOCOL_VERSION whenever a message changes shape.
 */
export const PROTOCOL_VERSION = 5;

/** What the wrapper sends for every compiler call. Byte payloads are base64. */
export interface CompileRequest {
  v: number;
  type: 'compile';
  cwd: string;
  /** The compiler as cargo named it, then its arguments. */
  argv: string[];
  env: Record<string, string>;
}

/** Sent on the same connection after the wrapper ran the compiler because the server said `run`. */
export interface StoreRequest {
  v: number;
  type: 'store';
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** The questions of the command-line tool: each is answered with one DataReply (see DataReplies). */
export type SimpleRequestType = 'stats' | 'zero-stats' | 'status' | 'shutdown' | 'why-history';

export interface SimpleRequest<Type extends SimpleRequestType = SimpleRequestType> {
  v: number;
  type: Type;
}

/**
 * Keeps the connection open for `live` updates pushed by the server (the dashboard). A subscription is
 * not a conversation in progress: it neither delays an idle exit nor a drain.
 */
export interface SubscribeRequest {
  v: number;
  type: 'subscribe';
}

/**
 * Sent after a hit's files are written: the identity (src/fs/file-identity.ts) of each, in the order
 * of the hit's `files`, so the server knows their digests without hashing them.
 */
export interface RestoredReport {
  v: number;
  type: 'restored';
  identities: string[];
}

/**
 * A hit's files could not be written: the wrapper compiles instead, uncached. With `corrupt`, a copy did
 * not match its digest (the cached blob is damaged): the wrapper then waits for the server's `run`
 * (store: true), so the compile it runs replaces the entry.
 */
export interface RestoreFailedReport {
  v: number;
  type: 'restore-failed';
  message: string;
  corrupt?: boolean;
}

export type ClientMessage =
  | CompileRequest
  | StoreRequest
  | SimpleRequest
  | SubscribeRequest
  | RestoredReport
  | RestoreFailedReport;

/**
 * A file a hit writes, each appearing whole (written beside it, then renamed): a copy of a cache blob,
 * or a text the server rendered for this build (a dep-info naming its paths). Without `mode` the file
 * gets the default permissions. A copy with `digest` (BLAKE3) is checked against it as it is written: a copy
 * that does not match is removed and reported as corrupt.
 */
export type RestoreFile = { path: string; mode?: number } & ({ from: string; digest?: string } | { text: string });

/**
 * Write `files` (outputs not already in place) and, when there were any, report them with a
 * RestoredReport (or a RestoreFailedReport, then compile); replay stdout and stderr, and exit with exitCode. The wrapper
 * writes them, not the server: the copies then run in the build's own processes, side by side, and
 * a hit costs the server no trips through its thread pool.
 */
export interface HitReply {
  type: 'hit';
  files: RestoreFile[];
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * Run the compiler yourself. With `store: true` send a StoreRequest afterwards on this connection;
 * otherwise `reason` says why the call is not cached.
 */
export interface RunReply {
  type: 'run';
  store: boolean;
  reason?: string;
  /** Arguments to add to the compile (the path remapping that makes outputs worktree-independent). */
  extraArgs?: string[];
}

/** Another wrapper is compiling the same thing; a hit or run follows. */
export interface WaitReply {
  type: 'wait';
  timeoutMs: number;
}

export interface StoredReply {
  type: 'stored';
  stored: boolean;
  reason?: string;
}

export interface VersionMismatchReply {
  type: 'version-mismatch';
  serverVersion: number;
}

export interface ErrorReply {
  type: 'error';
  message: string;
}

/** What `hoard server status` shows of the lanes. */
export interface LaneStatus {
  /** Requests that came through lanes. */
  served: number;
  ready: number;
  /** False while lanes cannot be made (the server log says why). */
  available: boolean;
  /** Not made on this system at all. */
  unsupported?: true;
}

/** What `hoard server status` shows of bin/hoard's fast path (src/server/sh-lane.ts): its lanes, and calls by outcome. */
export interface FastPathStatus extends LaneStatus {
  /** Calls handed to the Node wrapper, by reason. */
  declined: Record<string, number>;
}

/** The answer to `status`: the server, and the configuration in force with where each value came from. */
export interface ServerStatus {
  running: true;
  pid: number;
  version: string;
  uptimeMs: number;
  protocol: number;
  socket: string;
  lanes: LaneStatus;
  /** Absent from servers that predate the fast path. */
  fastPath?: FastPathStatus;
  configFile: string;
  /** The config file's problem: the server then runs with the last good configuration (or the defaults). */
  configProblem?: string | undefined;
  /** By key (src/config/schema.ts), so `hoard doctor` can compare them with its shell's. */
  config: Record<string, unknown>;
  configSources: Record<string, 'default' | 'file' | 'environment'>;
}

/** The data each simple request is answered with. */
export interface DataReplies {
  stats: StatsSnapshot;
  /** The statistics just after zeroing them. */
  'zero-stats': StatsSnapshot;
  status: ServerStatus;
  shutdown: { stopping: true };
  /** What `hoard why` reads: the latest compiles of each unit, with each miss explained. */
  'why-history': SavedHistory;
}

export interface DataReply<Type extends SimpleRequestType = SimpleRequestType> {
  type: 'data';
  data: DataReplies[Type];
}

/** One compile as the stream of latest compiles shows it. */
export interface CompileEvent {
  /** Epoch milliseconds. */
  at: number;
  crate: string;
  kind: string;
  worktree: { id: string; name: string; root: string };
  outcome: 'hit' | 'miss' | 'failed' | 'not-cacheable';
  /** Not-cacheable reason. */
  reason?: string;
  /** A hit: the time to restore; a miss: the compile. */
  durationMs?: number;
  /** A hit: the compile time it spared. */
  savedMs?: number;
  /** A miss: its cause (first-build, sources, …), the most telling difference in a few words, and every difference in a line. */
  why?: { cause: string; short: string; lines: string[] };
}

/**
 * Pushed to subscribers at once and whenever something changed. `stopping` says why a draining server
 * will soon close the connection.
 */
export interface LiveUpdate {
  type: 'live';
  snapshot: StatsSnapshot;
  recent: CompileEvent[];
  history: HitRatePoint[];
  config: { file: string; problem?: string };
  stopping?: string;
}

export type ServerMessage =
  | LiveUpdate
  | HitReply
  | RunReply
  | WaitReply
  | StoredReply
  | VersionMismatchReply
  | ErrorReply
  | DataReply;
