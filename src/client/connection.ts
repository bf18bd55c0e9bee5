import type { Socket } from 'node:net';
import { attachDecoder, encodeFrame } from '../protocol/framing.js';
import type { ClientMessage, ServerMessage } from '../protocol/messages.js';

/** One conversation with the server, over the socket or a lane. */
export interface Connection {
  send(message: ClientMessage): void;
  /** The server's next message, or a rejection once timeoutMs has passed without one. */
  next(timeoutMs: number): Promise<ServerMessage>;
  close(): void;
  /** For a wrapper about to exit: whatever is cheapest that lets the process end. */
  leave(): void;
}

/**
 * A client connection over the socket that reads replies one at a time, each with its own deadline.
 * node:net costs a few milliseconds to load: a compile request that goes through a lane never loads it.
 */
export class ServerConnection implements Connection {
  private readonly queue: ServerMessage[] = [];
  private waiter: ((message: ServerMessage | Error) => void) | undefined;
  private failure: Error | undefined;

  private constructor(private readonly socket: Socket) {
    attachDecoder(
      socket,
      (message) => this.deliver(message as ServerMessage),
      (error) => this.fail(error),
    );
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('the server closed the connection')));
  }

  static async open(socketPath: string, timeoutMs: number): Promise<ServerConnection> {
    // Not import(): it would start the ESM loader too (see loadChildProcess).
    const { connect } = process.getBuiltinModule('node:net');
    return new Promise((resolve, reject) => {
      const socket = connect(socketPath);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(Object.assign(new Error(`connecting to ${socketPath} timed out`), { code: 'ETIMEDOUT' }));
      }, timeoutMs);
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new ServerConnection(socket));
      });
    });
  }

  send(message: ClientMessage): void {
    this.socket.write(encodeFrame(message));
  }

  next(timeoutMs: number): Promise<ServerMessage> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`no answer from the server within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = (message) => {
        clearTimeout(timer);
        this.waiter = undefined;
        if (message instanceof Error) reject(message);
        else resolve(message);
      };
    });
  }

  close(): void {
    this.socket.destroy();
  }

  /**
   * For a wrapper about to exit: the connection no longer keeps the process alive, and exiting closes
   * it. Cheaper than close(), whose stream teardown also builds process.stderr.
   */
  leave(): void {
    this.socket.unref();
  }

  private deliver(message: ServerMessage): void {
    if (this.waiter) this.waiter(message);
    else this.queue.push(message);
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.waiter?.(error);
  }
}
