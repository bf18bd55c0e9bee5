import { resolveLocations, type Locations } from '../protocol/locations.js';
import { PROTOCOL_VERSION, type CompileRequest, type ServerMessage } from '../protocol/messages.js';
import type { Connection } from './connection.js';
import { LaneClosed, LaneConnection } from './lane-connection.js';
import { definedOnly, restoredEnvironment } from './environment.js';
import { logError } from './error-log.js';
import { callFingerprint, nestedEnvironment, recursionMessage } from './recursion.js';
import { runCaptured, runDirect } from './run-compiler.js';
import { connectOrStart } from './start-server.js';
import { writeOutput } from './sync-io.js';
import { restoreHit } from './restore-files.js';

/** The server answers a compile request in milliseconds; this bounds a server that hangs. */
const DECISION_TIMEOUT_MS = 20_000;
/** After the compile the wrapper waits this long for the store to be acknowledged, then leaves. */
const STORE_ACK_TIMEOUT_MS = 15_000;
/** How often, and how far apart, a wrapper asks again while a server of another version steps aside. */
const REPLACEMENT_ATTEMPTS = 40;
const REPLACEMENT_PAUSE_MS = 25;

export interface WrapperOptions {
  serverScript: string;
}

/**
 * Sends the request over a lane when the server has one ready, else over the socket (starting a
 * server if there is none). A lane whose server went away before answering is not an error: the
 * request goes to the socket, which finds or starts the current server.
 */
async function ask(
  request: CompileRequest,
  locations: Locations,
  serverScript: string,
  env: NodeJS.ProcessEnv,
): Promise<{ connection: Connection; reply: ServerMessage }> {
  const lane = LaneConnection.claim(locations.lanesDir);
  if (lane) {
    try {
      lane.send(request);
      return { connection: lane, reply: await lane.next(DECISION_TIMEOUT_MS) };
    } catch (error) {
      lane.close();
      if (!(error instanceof LaneClosed)) throw error;
    }
  }
  const connection = await connectOrStart(locations, serverScript, env);
  try {
    connection.send(request);
    return { connection, reply: await connection.next(DECISION_TIMEOUT_MS) };
  } catch (error) {
    // An open socket keeps this process alive: the compile that follows would end, the wrapper not.
    connection.close();
    throw error;
  }
}

/**
 * One compiler call: ask the server, and either replay a hit or run the compiler here, in cargo's
 * process tree, so it keeps cargo's jobserver, environment and working directory. Every internal
 * failure ends in running the compiler directly: the cache never fails a build.
 */
export async function runWrapper(argv: string[], env: NodeJS.ProcessEnv, options: WrapperOptions): Promise<number> {
  const [compiler, ...args] = argv as [string, ...string[]];
  const call = callFingerprint(process.cwd(), compiler, args);
  const recursion = recursionMessage(compiler, call, env);
  if (recursion) {
    writeOutput(2, `${recursion}\n`);
    return 2;
  }
  // The server gets the marked environment too: a compiler it probes (`rustc -vV`) is guarded as well.
  const compilerEnv = nestedEnvironment(restoredEnvironment(env), call);
  const locations = resolveLocations(env);
  const fallBack = (why: string): Promise<number> => {
    logError(locations.errorLogPath, 'wrapper', `${why}; compiling ${compiler} directly`);
    return runDirect(compiler, args, compilerEnv);
  };

  let connection: Connection | undefined;
  let reply: ServerMessage;
  try {
    const request: CompileRequest = { v: PROTOCOL_VERSION, type: 'compile', cwd: process.cwd(), argv, env: definedOnly(compilerEnv) };
    ({ connection, reply } = await ask(request, locations, options.serverScript, compilerEnv));
    // A server of another version drains and removes its socket once it has said so; until it has
    // (a few milliseconds), it answers the same again. Then a server of this version is started.
    for (let attempt = 1; reply.type === 'version-mismatch'; attempt += 1) {
      if (attempt > REPLACEMENT_ATTEMPTS) throw new Error(`the server of protocol ${reply.serverVersion} did not step aside`);
      connection.close();
      connection = undefined;
      if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, REPLACEMENT_PAUSE_MS));
      connection = await connectOrStart(locations, options.serverScript, compilerEnv);
      connection.send(request);
      reply = await connection.next(DECISION_TIMEOUT_MS);
    }
    while (reply.type === 'wait') reply = await connection.next(reply.timeoutMs + DECISION_TIMEOUT_MS);
  } catch (error) {
    // A server that hangs must not keep this process alive after the compile it gave up on.
    connection?.close();
    return fallBack(`cache server unavailable: ${(error as Error).message}`);
  }

  switch (reply.type) {
    case 'hit':
      if (reply.files.length > 0) {
        const failure = restoreHit(connection, reply.files);
        if (failure !== undefined) {
          connection.close();
          return fallBack(`writing the cached outputs failed: ${failure}`);
        }
      }
      connection.leave();
      writeOutput(1, Buffer.from(reply.stdout, 'base64'));
      writeOutput(2, Buffer.from(reply.stderr, 'base64'));
      return reply.exitCode;
    case 'run':
      if (!reply.store) {
        connection.close();
        return runDirect(compiler, args, compilerEnv);
      }
      return compileAndStore(connection, compiler, [...args, ...(reply.extraArgs ?? [])], compilerEnv, locations);
    default:
      connection.close();
      return fallBack(reply.type === 'error' ? `server error: ${reply.message}` : `unexpected reply ${reply.type}`);
  }
}

async function compileAndStore(
  connection: Connection,
  compiler: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  locations: Locations,
): Promise<number> {
  const result = await runCaptured(compiler, args, env);
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
    logError(locations.errorLogPath, 'wrapper', `storing the result of ${compiler} failed: ${(error as Error).message}`);
  } finally {
    connection.close();
  }
  return result.exitCode;
}
