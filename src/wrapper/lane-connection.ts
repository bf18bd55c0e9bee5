import { closeSync, constants, openSync, readSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { encodeFrame, FrameDecoder } from '../protocol/framing.js';
import { isLaneName, REPLIES_DIR, TAKEN_DIR } from '../protocol/lanes.js';
import type { ClientMessage, ServerMessage } from '../protocol/messages.js';
import type { Connection } from '../client/connection.js';
import { pauseSync, writeFully } from './sync-io.js';
import { monotonicMs } from './clock.js';

/** Lanes a wrapper tries to take (others may take the same ones first) before it uses the socket. */
const CLAIM_ATTEMPTS = 4;
/**
 * Hardly any answer comes sooner (docs/decisions.md, lanes): the first look waits this long, as a look
 * that finds nothing costs an exception.
 */
const FIRST_LOOK_AFTER_MS = 0.5;
/** A hit is answered in a millisecond or two: look often at first, then less and less often. */
const FIRST_PAUSE_MS = 0.1;
const PAUSE_GROWTH = 1.3;
const LONGEST_PAUSE_MS = 5;
/** A wait this long is for another compile (a `wait` reply): wake less often, it will take seconds. */
const LONG_WAIT_MS = 1000;
const LONG_WAIT_PAUSE_MS = 25;
/** A request is kilobytes; a server that has not taken it in this long is not listening. */
const SEND_TIMEOUT_MS = 5000;

/**
 * The lane's server went away before it answered (it died, or is stepping aside): nothing was done
 * for this request, so asking again over the socket is safe.
 */
export class LaneClosed extends Error {}

/**
 * A conversation over a lane (src/protocol/lanes.ts), in synchronous file calls only: no node:net, no
 * event loop turns. Waiting for a reply polls the non-blocking FIFO with growing pauses, so every wait
 * has a deadline, which a blocking read could not have.
 */
export class LaneConnection implements Connection {
  private readonly received: ServerMessage[] = [];
  private readonly decoder: FrameDecoder;
  private failure: Error | undefined;
  private readonly chunk = Buffer.allocUnsafe(64 * 1024);

  private constructor(
    private readonly requestFd: number,
    private readonly replyFd: number,
  ) {
    this.decoder = new FrameDecoder(
      (message) => this.received.push(message as ServerMessage),
      (error) => {
        this.failure = error;
      },
    );
  }

  /** Takes a ready lane, or gives undefined when there is none to take: the socket is then used. */
  static claim(lanesDir: string): LaneConnection | undefined {
    let names: string[];
    try {
      names = readdirSync(lanesDir).filter(isLaneName);
    } catch {
      return undefined;
    }
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS && names.length > 0; attempt += 1) {
      const [name] = names.splice(Math.floor(Math.random() * names.length), 1);
      const taken = join(lanesDir, TAKEN_DIR, name!);
      try {
        renameSync(join(lanesDir, name!), taken);
      } catch {
        continue; // another wrapper took it first
      }
      return LaneConnection.openTaken(taken, join(lanesDir, REPLIES_DIR, name!));
    }
    return undefined;
  }

  private static openTaken(request: string, reply: string): LaneConnection | undefined {
    let requestFd: number;
    try {
      requestFd = openSync(request, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch {
      // ENXIO: nobody reads this lane, its server died. The next server clears the others.
      for (const path of [request, reply]) rmSync(path, { force: true });
      return undefined;
    }
    try {
      return new LaneConnection(requestFd, openSync(reply, constants.O_RDONLY | constants.O_NONBLOCK));
    } catch {
      closeSync(requestFd);
      return undefined;
    }
  }

  send(message: ClientMessage): void {
    try {
      writeFully(this.requestFd, encodeFrame(message), monotonicMs() + SEND_TIMEOUT_MS);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EPIPE') throw new LaneClosed('the server closed the lane');
      throw error;
    }
  }

  next(timeoutMs: number): Promise<ServerMessage> {
    try {
      return Promise.resolve(this.receive(timeoutMs));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  private receive(timeoutMs: number): ServerMessage {
    const started = monotonicMs();
    const deadline = started + timeoutMs;
    let pause = FIRST_PAUSE_MS;
    if (this.received.length === 0 && !this.failure) pauseSync(Math.min(FIRST_LOOK_AFTER_MS, timeoutMs));
    for (;;) {
      const message = this.received.shift();
      if (message) return message;
      if (this.failure) throw this.failure;
      let count: number;
      try {
        count = readSync(this.replyFd, this.chunk, 0, this.chunk.length, null);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
        count = -1;
      }
      // The server holds the reply FIFO open for as long as the lane lives: end-of-file means it is gone.
      if (count === 0) throw new LaneClosed('the server closed the lane');
      if (count > 0) {
        this.decoder.push(Buffer.from(this.chunk.subarray(0, count)));
        continue;
      }
      const now = monotonicMs();
      if (now >= deadline) throw new Error(`no answer from the server within ${timeoutMs} ms`);
      pauseSync(Math.min(pause, deadline - now));
      pause = Math.min(pause * PAUSE_GROWTH, now - started > LONG_WAIT_MS ? LONG_WAIT_PAUSE_MS : LONGEST_PAUSE_MS);
    }
  }

  close(): void {
    for (const descriptor of [this.requestFd, this.replyFd]) {
      try {
        closeSync(descriptor);
      } catch {
        // Already closed: nothing to release.
      }
    }
  }

  leave(): void {
    this.close();
  }
}
