import { resolveLocations } from '../protocol/locations.js';
import { inspectRendezvous, rendezvousAdvice } from '../protocol/rendezvous.js';
import {
  PROTOCOL_VERSION,
  type DataReplies,
  type ServerMessage,
  type SimpleRequestType,
} from '../protocol/messages.js';
import { ServerConnection } from '../client/connection.js';
import { HoardError } from '../errors/hoard-error.js';

const REPLY_TIMEOUT_MS = 5000;

/** Asks the running server one question; undefined when no server runs. */
export async function askServer(
  type: SimpleRequestType,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ServerMessage | undefined> {
  const { socketDir, socketPath } = resolveLocations(env);
  let connection: ServerConnection;
  try {
    trustedRendezvous(socketDir);
    connection = await ServerConnection.open(socketPath, 1000);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ECONNREFUSED') return undefined;
    if (code === 'EACCES' || code === 'EPERM') {
      throw new CliError(
        `you may not open ${socketPath} (permission denied): it is not your server's; ${rendezvousAdvice(socketDir)}.`,
      );
    }
    throw error;
  }
  try {
    connection.send({ v: PROTOCOL_VERSION, type });
    return await connection.next(REPLY_TIMEOUT_MS);
  } finally {
    connection.close();
  }
}

/** The data a request type is answered with (DataReplies); undefined when no server runs. */
export async function askServerData<Type extends SimpleRequestType>(
  type: Type,
  env: NodeJS.ProcessEnv = process.env,
): Promise<DataReplies[Type] | undefined> {
  const reply = await askServer(type, env);
  if (reply === undefined) return undefined;
  // A server of this protocol version answers each request type with its DataReplies entry.
  if (reply.type === 'data') return reply.data as DataReplies[Type];
  if (reply.type === 'version-mismatch') {
    throw new CliError(
      `the running server speaks protocol ${reply.serverVersion}, this hoard ${PROTOCOL_VERSION}; it is stopping now, run the command again.`,
    );
  }
  throw new CliError(`the server answered ${reply.type === 'error' ? reply.message : reply.type}`);
}

/** A failure the user can act on: printed as one line, exit status 1. */
export class CliError extends HoardError {
  override name = 'CliError';
  override readonly code = 'cli';
}

/**
 * The CLI talks to a server only through a directory that is the user's own (src/protocol/rendezvous.ts):
 * a stranger's socket would learn nothing much from `status`, but `stop` and the dashboard trust its answers.
 */
export function trustedRendezvous(socketDir: string): void {
  const found = inspectRendezvous(socketDir);
  if (found.state === 'untrusted')
    throw new CliError(`${found.problem}, so hoard will not talk to a server there: ${rendezvousAdvice(socketDir)}.`);
}
