import { resolveLocations } from '../protocol/locations.js';
import { PROTOCOL_VERSION, type ServerMessage, type SimpleRequest } from '../protocol/messages.js';
import { ServerConnection } from '../wrapper/connection.js';

const REPLY_TIMEOUT_MS = 5000;

/** Asks the running server one question; undefined when no server runs. */
export async function askServer(type: SimpleRequest['type'], env: NodeJS.ProcessEnv = process.env): Promise<ServerMessage | undefined> {
  const { socketPath } = resolveLocations(env);
  let connection: ServerConnection;
  try {
    connection = await ServerConnection.open(socketPath, 1000);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ECONNREFUSED') return undefined;
    throw error;
  }
  try {
    connection.send({ v: PROTOCOL_VERSION, type });
    return await connection.next(REPLY_TIMEOUT_MS);
  } finally {
    connection.close();
  }
}

export async function askServerData<T>(type: SimpleRequest['type'], env: NodeJS.ProcessEnv = process.env): Promise<T | undefined> {
  const reply = await askServer(type, env);
  if (reply === undefined) return undefined;
  if (reply.type === 'data') return reply.data as T;
  if (reply.type === 'version-mismatch') {
    throw new CliError(`the running server speaks protocol ${reply.serverVersion}, this hoard ${PROTOCOL_VERSION}; it is stopping now, run the command again.`);
  }
  throw new CliError(`the server answered ${reply.type === 'error' ? reply.message : reply.type}`);
}

/** A failure the user can act on: printed as one line, exit status 1. */
export class CliError extends Error {
  override name = 'CliError';
}
