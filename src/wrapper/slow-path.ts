import { join } from 'node:path';
import { PROTOCOL_VERSION, type ServerMessage } from '../protocol/messages.js';
import { DECISION_TIMEOUT_MS, type WrapperCall } from './call.js';
import type { Connection } from '../client/connection.js';
import { inspectRendezvous, UntrustedRendezvous } from '../protocol/rendezvous.js';
import { logError } from './error-log.js';
import { unexpectedExtraArgs } from './reply-bounds.js';
import { replayHit } from './restore-files.js';
import { runCaptured, runDirect } from './run-compiler.js';
import { connectOrStart } from '../client/start-server.js';
import { writeOutput } from './sync-io.js';

export { compileAfterBug } from './internal-error.js';

/** After the compile the wrapper waits this long for the store to be acknowledged, then leaves. */
const STORE_ACK_TIMEOUT_MS = 15_000;
/** How often, and how far apart, a wrapper asks again while a server of another version steps aside. */
const REPLACEMENT_ATTEMPTS = 40;
const REPLACEMENT_PAUSE_MS = 25;
/** The server's script, beside this bundle in dist/. */
const SERVER_SCRIPT = join(__dirname, 'server.mjs');

/** See SlowPath in call.ts: everything a call needs beyond a hit over a lane. */
export async function finish(
  call: WrapperCall,
  first?: { connection: Connection; reply: ServerMessage },
): Promise<number> {
  let connection: Connection | undefined;
  let reply: ServerMessage;
  try {
    ({ connection, reply } = first ?? (await askOverSocket(call)));
    // A server of another version drains and removes its socket once it has said so; until it has
    // (a few milliseconds), it answers the same again. Then a server of this version is started.
    for (let attempt = 1; reply.type === 'version-mismatch'; attempt += 1) {
      if (attempt > REPLACEMENT_ATTEMPTS)
        throw new Error(`the server of protocol ${reply.serverVersion} did not step aside`);
      connection.close();
      connection = undefined;
      if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, REPLACEMENT_PAUSE_MS));
      ({ connection, reply } = await askOverSocket(call));
    }
    while (reply.type === 'wait') reply = await connection.next(reply.timeoutMs + DECISION_TIMEOUT_MS);
  } catch (error) {
    // A server that hangs must not keep this process alive after the compile it gave up on.
    connection?.close();
    if (error instanceof UntrustedRendezvous) return refuseUntrusted(call, error);
    return fallBack(call, `cache server unavailable: ${(error as Error).message}`);
  }

  switch (reply.type) {
    case 'hit': {
      const replayed = replayHit(connection, reply, { cwd: call.request.cwd, args: call.args });
      if ('exitCode' in replayed) return replayed.exitCode;
      if (replayed.corrupt) return replaceCorrupt(call, connection, replayed.failure);
      connection.close();
      return fallBack(call, `writing the cached outputs failed: ${replayed.failure}`);
    }
    case 'run':
      if (!reply.store) {
        connection.close();
        return runDirect(call.compiler, call.args, call.compilerEnv);
      }
      {
        const unexpected = unexpectedExtraArgs(reply.extraArgs ?? [], call.request.cwd);
        if (unexpected !== undefined) {
          connection.close();
          return fallBack(call, unexpected);
        }
      }
      return compileAndStore(connection, call, [...call.args, ...(reply.extraArgs ?? [])]);
    default:
      connection.close();
      return fallBack(
        call,
        reply.type === 'error' ? `server error: ${reply.message}` : `unexpected reply ${reply.type}`,
      );
  }
}

/**
 * A cached blob turned out damaged as it was written: the server removed the entry and answers `run`
 * with store, so this compile replaces it. Any other answer, or none, is a direct compile.
 */
export async function replaceCorrupt(call: WrapperCall, connection: Connection, failure: string): Promise<number> {
  logError(call.locations.errorLogPath, 'wrapper', `${failure}; compiling ${call.compiler} to replace the cache entry`);
  let reply: ServerMessage;
  try {
    reply = await connection.next(DECISION_TIMEOUT_MS);
    while (reply.type === 'wait') reply = await connection.next(reply.timeoutMs + DECISION_TIMEOUT_MS);
  } catch {
    connection.close();
    return runDirect(call.compiler, call.args, call.compilerEnv);
  }
  if (
    reply.type === 'run' &&
    reply.store &&
    unexpectedExtraArgs(reply.extraArgs ?? [], call.request.cwd) === undefined
  ) {
    return compileAndStore(connection, call, [...call.args, ...(reply.extraArgs ?? [])]);
  }
  connection.close();
  return runDirect(call.compiler, call.args, call.compilerEnv);
}

export function refuseRendezvous(call: WrapperCall): Promise<number> {
  const found = inspectRendezvous(call.locations.socketDir);
  // Put right meanwhile (another process removed it): the socket checks again, this compile goes on.
  if (found.state !== 'untrusted') return finish(call);
  return refuseUntrusted(call, new UntrustedRendezvous(found.problem, call.locations.socketDir));
}

function refuseUntrusted(call: WrapperCall, untrusted: UntrustedRendezvous): Promise<number> {
  writeOutput(2, `hoard: ${untrusted.message}; compiling directly.\n`);
  return fallBack(call, untrusted.message);
}

export function fallBack(call: WrapperCall, why: string): Promise<number> {
  logError(call.locations.errorLogPath, 'wrapper', `${why}; compiling ${call.compiler} directly`);
  return runDirect(call.compiler, call.args, call.compilerEnv);
}

/** Sends the request over the socket, starting a server if there is none. */
async function askOverSocket(call: WrapperCall): Promise<{ connection: Connection; reply: ServerMessage }> {
  const connection = await connectOrStart(call.locations, SERVER_SCRIPT, call.compilerEnv);
  try {
    connection.send(call.request);
    return { connection, reply: await connection.next(DECISION_TIMEOUT_MS) };
  } catch (error) {
    // An open socket keeps this process alive: the compile that follows would end, the wrapper not.
    connection.close();
    throw error;
  }
}

async function compileAndStore(connection: Connection, call: WrapperCall, args: string[]): Promise<number> {
  const result = await runCaptured(call.compiler, args, call.compilerEnv);
  // From here on the compile has happened: a failure to store is logged, never retried as a compile.
  try {
    connection.send({
      v: PROTOCOL_VERSION,
      type: 'store',
      exitCode: result.exitCode,
      stdout: result.stdout.toString('base64'),
      stderr: result.stderr.toString('base64'),
      durationMs: Math.round(result.durationMs),
    });
    await connection.next(STORE_ACK_TIMEOUT_MS);
  } catch (error) {
    logError(
      call.locations.errorLogPath,
      'wrapper',
      `storing the result of ${call.compiler} failed: ${(error as Error).message}`,
    );
  } finally {
    connection.close();
  }
  return result.exitCode;
}
