import type { ClientMessage, ServerMessage } from '../protocol/messages.js';

/** One client's side of a conversation, as a request handler sees it. */
export interface Exchange {
  reply(message: ServerMessage): void;
  /** The client's next message; undefined when it hung up or said nothing in time. */
  next(timeoutMs: number): Promise<ClientMessage | undefined>;
  /**
   * Whether the client went on without the server (an sh lane's shell told `timeout` by the watchdog):
   * what it compiled may since have been replaced, so nothing of it is stored.
   */
  givenUp?(): boolean;
}
