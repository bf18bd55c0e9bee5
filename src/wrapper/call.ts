import type { Locations } from '../protocol/locations.js';
import type { CompileRequest, ServerMessage } from '../protocol/messages.js';
import type { Connection } from '../client/connection.js';

/** The server answers a compile request in milliseconds; this bounds a server that hangs. */
export const DECISION_TIMEOUT_MS = 20_000;

/** One compiler call, as prepared by the wrapper before it asks the server. */
export interface WrapperCall {
  compiler: string;
  args: string[];
  /** The compiler's environment: bin/hoard's changes undone, marked with this call (recursion.ts). */
  compilerEnv: Record<string, string>;
  locations: Locations;
  request: CompileRequest;
}

/**
 * What a call needs beyond a hit over a lane: the socket, starting a server, compiling and storing,
 * falling back. It is a bundle of its own (dist/wrapper-slow-path.cjs, from slow-path.ts), loaded only
 * then: a hit does not pay for parsing it.
 */
export interface SlowPath {
  /** Settles the call from the server's first reply over a lane, or asks over the socket when there is none. */
  finish(call: WrapperCall, first?: { connection: Connection; reply: ServerMessage }): Promise<number>;
  /** Says in one line why the socket's directory is not used (src/protocol/rendezvous.ts), then runs the compiler directly. */
  refuseRendezvous(call: WrapperCall): Promise<number>;
  /** Logs why the cache could not serve the call, then runs the compiler directly. */
  fallBack(call: WrapperCall, why: string): Promise<number>;
  /** After a hit whose copy did not match its digest: compiles as the server's next answer says, so the entry is replaced. */
  replaceCorrupt(call: WrapperCall, connection: Connection, failure: string): Promise<number>;
  /** After a bug in the wrapper (an unexpected exception): says where to report it, then runs the compiler directly. */
  compileAfterBug(argv: string[], error: unknown): Promise<number>;
}
