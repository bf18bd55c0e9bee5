import { connect } from 'node:net';
import { attachDecoder, encodeFrame } from '../protocol/framing.js';
import { PROTOCOL_VERSION, type LiveUpdate, type ServerMessage } from '../protocol/messages.js';

export interface LiveHandlers {
  onUpdate(update: LiveUpdate): void;
  /** The subscription is over: no server, it stopped, or it speaks another protocol (then `note` says so). */
  onEnd(note?: string): void;
}

/** Subscribes to a server's live updates over its socket. Returns a function that hangs up. */
export function subscribeLive(socketPath: string, handlers: LiveHandlers): () => void {
  let ended = false;
  const socket = connect(socketPath);
  const end = (note?: string): void => {
    if (ended) return;
    ended = true;
    socket.destroy();
    handlers.onEnd(note);
  };
  socket.once('connect', () => socket.write(encodeFrame({ v: PROTOCOL_VERSION, type: 'subscribe' })));
  attachDecoder(
    socket,
    (raw) => {
      const message = raw as ServerMessage;
      if (message.type === 'live') handlers.onUpdate(message);
      else if (message.type === 'version-mismatch')
        end(
          `the running server speaks protocol ${message.serverVersion}, this dashboard ${PROTOCOL_VERSION}; it is stopping, the next compile starts a new one`,
        );
      else if (message.type === 'error') end(`the server answered: ${message.message}`);
    },
    (error) => end(`unreadable update from the server: ${error.message}`),
  );
  socket.on('error', (error: NodeJS.ErrnoException) =>
    end(
      error.code === 'ENOENT' || error.code === 'ECONNREFUSED'
        ? undefined
        : `cannot reach the server: ${error.message}`,
    ),
  );
  socket.on('close', () => end());
  return () => {
    ended = true;
    socket.destroy();
  };
}
