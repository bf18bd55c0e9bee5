import { connect, type Socket } from 'node:net';
import { attachDecoder, encodeFrame } from '../protocol/framing.js';
import type { ClientMessage, ServerMessage } from '../protocol/messages.js';

/** A client connection that reads replies one at a time, each with its own deadline. */
export class ServerConnection {
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

  static open(socketPath: string, timeoutMs: number): Promise<ServerConnection> {
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
