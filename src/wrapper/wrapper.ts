import { resolveLocations } from '../protocol/locations.js';
import { rendezvousState } from '../protocol/rendezvous.js';
import { PROTOCOL_VERSION, type ServerMessage } from '../protocol/messages.js';
import { DECISION_TIMEOUT_MS, type SlowPath, type WrapperCall } from './call.js';
import { LaneClosed, LaneConnection } from './lane-connection.js';
import { restoredEnvironment } from '../client/environment.js';
import { callFingerprint, nestedEnvironment, recursionMessage } from './recursion.js';
import { writeOutput } from './sync-io.js';
import { replayHit } from './restore-files.js';

export interface WrapperOptions {
  /** Loads the rest of the wrapper (slow-path.ts), for anything but a hit over a lane. */
  loadSlowPath(): SlowPath;
}

/**
 * One compiler call: ask the server, and either replay a hit or run the compiler here, in cargo's
 * process tree, so it keeps cargo's jobserver, environment and working directory. Every internal
 * failure ends in running the compiler directly: the cache never fails a build.
 *
 * This is the path of a hit over a lane, the common case, and all that most calls parse; everything
 * else is handed to the slow path.
 */
export async function runWrapper(argv: string[], env: NodeJS.ProcessEnv, options: WrapperOptions): Promise<number> {
  const [compiler, ...args] = argv as [string, ...string[]];
  const cwd = process.cwd();
  const fingerprint = callFingerprint(cwd, compiler, args);
  const recursion = recursionMessage(compiler, fingerprint, env);
  if (recursion) {
    writeOutput(2, `${recursion}\n`);
    return 2;
  }
  // The server gets the marked environment too: a compiler it probes (`rustc -vV`) is guarded as well.
  const compilerEnv = nestedEnvironment(restoredEnvironment(env), fingerprint);
  const call: WrapperCall = {
    compiler,
    args,
    compilerEnv,
    locations: resolveLocations(env),
    request: { v: PROTOCOL_VERSION, type: 'compile', cwd, argv, env: compilerEnv },
  };

  // The one check of the hot path: a socket or lane in a directory someone else controls is theirs.
  const rendezvous = rendezvousState(call.locations.socketDir);
  if (rendezvous === 'untrusted') return options.loadSlowPath().refuseRendezvous(call);
  const lane = rendezvous === 'trusted' ? LaneConnection.claim(call.locations.lanesDir) : undefined;
  if (!lane) return options.loadSlowPath().finish(call);
  let reply: ServerMessage;
  try {
    lane.send(call.request);
    reply = await lane.next(DECISION_TIMEOUT_MS);
  } catch (error) {
    lane.close();
    // The lane's server went away before answering: nothing was done, the socket finds the current one.
    if (error instanceof LaneClosed) return options.loadSlowPath().finish(call);
    return options.loadSlowPath().fallBack(call, `cache server unavailable: ${(error as Error).message}`);
  }
  if (reply.type !== 'hit') return options.loadSlowPath().finish(call, { connection: lane, reply });
  const replayed = replayHit(lane, reply, { cwd, args });
  if ('exitCode' in replayed) return replayed.exitCode;
  if (replayed.corrupt) return options.loadSlowPath().replaceCorrupt(call, lane, replayed.failure);
  lane.close();
  return options.loadSlowPath().fallBack(call, `writing the cached outputs failed: ${replayed.failure}`);
}
