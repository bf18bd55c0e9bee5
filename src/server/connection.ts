import { Socket } from 'node:net';
import { attachDecoder, encodeFrame } from '../protocol/framing.js';
import { PROTOCOL_VERSION, type ClientMessage, type ServerMessage } from '../protocol/messages.js';
import type { Conversation } from './conversation.js';
import type { Exchange } from './exchange.js';
import type { Logger } from './logger.js';
import { describeInvalid, envelopeSchema } from './messages.js';

/** How long a client whose message was refused has to read why before the connection is cut. */
const REFUSAL_GRACE_MS = 1000;
export interface ConnectionsOptions {
  /** Answers the first message of a conversation; the messages after it come through the exchange. */
  dispatch(message: ClientMessage, exchange: Exchange): Promise<void>;
  /** A dashboard's `subscribe` (over the socket only): the live feed keeps the socket. */
  subscribe(socket: Socket): void;
  /** A client of another protocol version was told so: this server should make way. */
  onVersionMismatch(clientVersion: number): void;
  /** A message arrived (not idle). */
  onActivity(): void;
  /** A conversation began (not a subscription); the returned call ends it. */
  onConversation(): () => void;
  log: Logger;
}

/**
 * The conversations of one server, over the socket or a lane (src/server/lane-pool.ts): frames in,
 * the version checked, the first message dispatched, the ones after it queued for the handler's
 * exchange; frames out.
 */
export class Connections {
  private readonly open = new Set<Conversation>();

  constructor(private readonly options: ConnectionsOptions) {}

  /** Ends every conversation still open (the server exits). */
  destroyAll(): void {
    for (const conversation of this.open) conversation.destroy();
  }

  accept(socket: Conversation): void {
    const { options } = this;
    this.open.add(socket);
    const queue: ClientMessage[] = [];
    let waiter: ((message: ClientMessage | undefined) => void) | undefined;
    let closed = false;
    let started = false;
    let subscribed = false;
    const send = (message: ServerMessage): void => {
      if (!socket.destroyed) socket.write(encodeFrame(message));
    };
    const exchange: Exchange = {
      reply: send,
      next: (timeoutMs) => {
        const queued = queue.shift();
        if (queued) return Promise.resolve(queued);
        if (closed) return Promise.resolve(undefined);
        return new Promise((resolve) => {
          const timer = setTimeout(() => {
            waiter = undefined;
            resolve(undefined);
          }, timeoutMs);
          waiter = (message) => {
            clearTimeout(timer);
            waiter = undefined;
            resolve(message);
          };
        });
      },
    };
    const deliver = (message: ClientMessage | undefined): void => {
      if (waiter) waiter(message);
      else if (message) queue.push(message);
    };
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      this.open.delete(socket);
      deliver(undefined);
    });
    attachDecoder(
      socket,
      (raw) => {
        if (subscribed) return;
        options.onActivity();
        const envelope = envelopeSchema.safeParse(raw);
        if (!envelope.success) {
          send({ type: 'error', message: `not a hoard message (${describeInvalid(envelope.error)})` });
          socket.end();
          return;
        }
        if (envelope.data.v !== PROTOCOL_VERSION) {
          send({ type: 'version-mismatch', serverVersion: PROTOCOL_VERSION });
          socket.end();
          options.onVersionMismatch(envelope.data.v);
          return;
        }
        // Only the envelope is checked here: each handler validates what it reads (src/server/messages.ts).
        const message = raw as ClientMessage;
        if (started) {
          deliver(message);
          return;
        }
        started = true;
        // A subscriber stays connected for as long as the dashboard is open: not an open conversation.
        if (message.type === 'subscribe') {
          if (!(socket instanceof Socket)) {
            send({ type: 'error', message: 'subscribe over the socket' });
            socket.end();
            return;
          }
          subscribed = true;
          options.subscribe(socket);
          return;
        }
        const ended = options.onConversation();
        void options
          .dispatch(message, exchange)
          .catch((error: Error) => {
            options.log.error(`request failed: ${error.stack ?? error.message}`);
            send({ type: 'error', message: error.message });
          })
          .finally(ended);
      },
      (error) => {
        send({ type: 'error', message: `unreadable message: ${error.message}` });
        // Ended, not destroyed at once: a reset would lose the refusal. The decoder drops what follows.
        socket.end();
        setTimeout(() => socket.destroy(), REFUSAL_GRACE_MS).unref();
      },
    );
  }
}
