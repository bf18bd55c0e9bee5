import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';

/**
 * What the server needs of a client's side of a conversation: the calls of a connected socket, which
 * a lane (two FIFOs, src/protocol/lanes.ts) offers too.
 */
export interface Conversation {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  write(bytes: Uint8Array): unknown;
  /** No more replies: the client reads to the end of what was written. */
  end(): unknown;
  destroy(): unknown;
  readonly destroyed: boolean;
}

/**
 * A lane's two FIFOs as one conversation. Not `Duplex.from`: that builds a stream pair and a read
 * path per lane, which cost the server CPU on every compile (docs/decisions.md); this forwards
 * the request's chunks and writes to the reply, as the socket would.
 */
export class LaneConversation extends EventEmitter implements Conversation {
  destroyed = false;

  constructor(
    private readonly request: Socket,
    private readonly reply: Socket,
  ) {
    super();
    request.on('data', (chunk: Buffer) => this.emit('data', chunk));
    // The wrapper closed its end (done, or died): the conversation is over.
    request.once('end', () => this.destroy());
    request.on('error', () => this.destroy());
    reply.on('error', () => this.destroy());
  }

  write(bytes: Uint8Array): boolean {
    if (this.destroyed) return false;
    return this.reply.write(bytes);
  }

  end(): void {
    if (!this.destroyed) this.reply.end();
  }

  /** Closes both FIFOs; 'close' follows on the next tick, as a socket's does. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.request.destroy();
    this.reply.destroy();
    process.nextTick(() => this.emit('close'));
  }
}
