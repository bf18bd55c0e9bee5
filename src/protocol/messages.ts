/**
 * Messages between the wrapper (and other clients) and the cache server. Every message a client sends
 * carries `v`; a server that sees another version answers `version-mismatch`, finishes what it is doing
 * and exits, so that the client can start a server of its own version.
 *
 * Bump PROTOCOL_VERSION whenever a message changes shape.
 */
export const PROTOCOL_VERSION = 1;

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

export interface SimpleRequest {
  v: number;
  type: 'stats' | 'zero-stats' | 'status' | 'shutdown';
}

export type ClientMessage = CompileRequest | StoreRequest | SimpleRequest;

/** The outputs are already in place; replay these and exit with exitCode. */
export interface HitReply {
  type: 'hit';
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

export interface DataReply {
  type: 'data';
  data: unknown;
}

export type ServerMessage =
  | HitReply
  | RunReply
  | WaitReply
  | StoredReply
  | VersionMismatchReply
  | ErrorReply
  | DataReply;
