import { closeSync, constants, openSync, renameSync, unlinkSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { isLaneName, NEW_DIR, REPLIES_DIR, TAKEN_DIR } from '../protocol/lanes.js';
import type { ProcessRunner } from '../exec/process-runner.js';
import type { Logger } from './logger.js';

export interface LanePoolOptions {
  /** Locations.lanesDir: inside the socket's directory, which only this user can enter. */
  dir: string;
  /** Lanes kept ready; when half of them are taken, the pool is filled up again in one batch. */
  size: number;
  makeFifos(paths: string[]): Promise<void>;
  /** A lane's two FIFOs as one stream, handed over as it opens: the conversation is the socket's. */
  onConversation(channel: Duplex): void;
  log: Pick<Logger, 'warn'>;
  /** A lane taken but never written to for this long belonged to a wrapper that died in between. */
  abandonedAfterMs?: number;
}

interface Lane {
  id: string;
  request: Socket;
  reply: Socket;
  talking: boolean;
  /** When a sweep first found a silent lane gone from the directory: taken by a wrapper that died. */
  missingSince?: number;
}

const ABANDONED_AFTER_MS = 10_000;

/** `mkfifo` makes the FIFOs: Node has no call for it, and the pool makes them in batches, off the request path. */
export function mkfifoWith(runner: ProcessRunner): (paths: string[]) => Promise<void> {
  return async (paths) => {
    const result = await runner.run('mkfifo', ['-m', '600', '--', ...paths], { cwd: '/', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    if (result.exitCode !== 0) throw new Error(`mkfifo exited with ${result.exitCode}: ${result.stderr.trim()}`);
  };
}

/** Removes a file that may be in one of several places, or gone already. */
function unlinkFirst(paths: string[]): void {
  for (const path of paths) {
    try {
      unlinkSync(path);
      return;
    } catch {
      // Not there: the next place.
    }
  }
}

/**
 * The server's side of lanes (src/protocol/lanes.ts): keeps `size` of them ready, hands each one that a
 * wrapper writes to over as a conversation, and removes it when the wrapper is done or gone. When lanes
 * cannot be made (no mkfifo), compile requests simply use the socket.
 */
export class LanePool {
  private readonly lanes = new Map<string, Lane>();
  private sequence = 0;
  private filling = false;
  private closed = false;
  private unavailable = false;
  /** Conversations that came through a lane, for `hoard server status`. */
  served = 0;

  constructor(private readonly options: LanePoolOptions) {}

  get ready(): number {
    let count = 0;
    for (const lane of this.lanes.values()) if (!lane.talking && lane.missingSince === undefined) count += 1;
    return count;
  }

  status(): { served: number; ready: number; available: boolean } {
    return { served: this.served, ready: this.ready, available: !this.unavailable };
  }

  /** Clears lanes left by earlier servers (their FIFOs have nobody behind them) and fills the pool. */
  async start(): Promise<void> {
    await rm(this.options.dir, { recursive: true, force: true });
    for (const sub of [NEW_DIR, TAKEN_DIR, REPLIES_DIR]) await mkdir(join(this.options.dir, sub), { recursive: true, mode: 0o700 });
    await this.fill();
  }

  private async fill(): Promise<void> {
    if (this.filling) return;
    this.filling = true;
    try {
      while (!this.closed && !this.unavailable && this.ready <= this.options.size / 2) await this.makeBatch(this.options.size - this.ready);
    } catch (error) {
      this.unavailable = true;
      this.options.log.warn(`compile requests use the socket only: lanes could not be made (${(error as Error).message})`);
    } finally {
      this.filling = false;
    }
  }

  private async makeBatch(count: number): Promise<void> {
    const ids = Array.from({ length: count }, () => `${process.pid}-${(this.sequence += 1)}`);
    await this.options.makeFifos(ids.flatMap((id) => [join(this.options.dir, NEW_DIR, id), join(this.options.dir, REPLIES_DIR, id)]));
    for (const id of ids) {
      if (this.closed) return;
      this.open(id);
      // Synchronous: a rename in the server's own small directory costs less than a thread-pool trip.
      renameSync(join(this.options.dir, NEW_DIR, id), join(this.options.dir, id));
    }
  }

  private open(id: string): void {
    const requestFd = openSync(join(this.options.dir, NEW_DIR, id), constants.O_RDONLY | constants.O_NONBLOCK);
    let replyFd: number;
    try {
      // Read and write: the server is then always a writer, so a wrapper's read never sees end-of-file
      // while the lane lives, and opening never fails for want of a reader.
      replyFd = openSync(join(this.options.dir, REPLIES_DIR, id), constants.O_RDWR | constants.O_NONBLOCK);
    } catch (error) {
      closeSync(requestFd);
      throw error;
    }
    const lane: Lane = {
      id,
      request: new Socket({ fd: requestFd, readable: true, writable: false }),
      reply: new Socket({ fd: replyFd, readable: false, writable: true }),
      talking: false,
    };
    this.lanes.set(id, lane);
    // Handed over at once, like an accepted socket that has not spoken yet.
    const channel = Duplex.from({ readable: lane.request, writable: lane.reply });
    lane.request.once('data', () => {
      lane.talking = true;
      this.served += 1;
      void this.fill();
    });
    // The wrapper closed its end (done, or died): the conversation is over.
    lane.request.once('end', () => channel.destroy());
    lane.request.on('error', () => channel.destroy());
    lane.reply.on('error', () => channel.destroy());
    channel.on('error', () => undefined);
    channel.once('close', () => void this.remove(lane));
    this.options.onConversation(channel);
  }

  private async remove(lane: Lane): Promise<void> {
    if (!this.lanes.delete(lane.id)) return;
    lane.request.destroy();
    lane.reply.destroy();
    // The request is where the lane is now: taken (the usual case), still offered, or still being made.
    unlinkFirst([TAKEN_DIR, '', NEW_DIR].map((place) => join(this.options.dir, place, lane.id)));
    unlinkFirst([join(this.options.dir, REPLIES_DIR, lane.id)]);
    await this.fill();
  }

  /** Housekeeping: closes lanes that were taken and never written to (their wrapper died in between). */
  async sweep(): Promise<void> {
    if (this.closed) return;
    const listed = new Set((await readdir(this.options.dir).catch(() => [] as string[])).filter(isLaneName));
    const now = Date.now();
    for (const lane of [...this.lanes.values()]) {
      if (lane.talking) continue;
      if (listed.has(lane.id)) {
        lane.missingSince = undefined;
        continue;
      }
      lane.missingSince ??= now;
      if (now - lane.missingSince >= (this.options.abandonedAfterMs ?? ABANDONED_AFTER_MS)) await this.remove(lane);
    }
    await this.fill();
  }

  /**
   * For a server that stops: no lane is offered any more, and the silent ones close (a wrapper that has
   * just taken one finds it closed and uses the socket). Conversations in progress go on.
   */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.lanes.values()].filter((lane) => !lane.talking).map((lane) => this.remove(lane)));
    await rm(join(this.options.dir, NEW_DIR), { recursive: true, force: true });
  }
}
