import { makeDirectory } from '../fs/make-directory.js';
import { processRuns } from '../fs/process-runs.js';
import { closeSync, constants, lstatSync, openSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { assertRendezvous } from '../protocol/rendezvous.js';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { setImmediate as turn } from 'node:timers/promises';
import { isLaneName, laneOwner, NEW_DIR, REPLIES_DIR, TAKEN_DIR, TOLD_DIR } from '../protocol/lanes.js';
import type { LaneStatus } from '../protocol/messages.js';
import type { ProcessRunner } from '../exec/process-runner.js';
import type { Logger } from './logger.js';
import { LaneConversation, type Conversation } from './conversation.js';

export interface LanePoolOptions {
  /** Locations.lanesDir: inside the socket's directory, which only this user can enter. */
  dir: string;
  /** Lanes kept ready; when half of them are taken, the pool is filled up again in one batch. */
  size: number;
  makeFifos(paths: string[]): Promise<void>;
  /** A lane's two FIFOs as one conversation, handed over as it opens: the conversation is the socket's. */
  onConversation(conversation: Conversation, id: string): void;
  log: Pick<Logger, 'warn'>;
  /** A lane taken but never written to for this long belonged to a wrapper that died in between. */
  abandonedAfterMs?: number;
  /** After lanes could not be made, how long until the pool tries again. */
  retryAfterMs?: number;
  /** Lanes are made on Linux only (see src/protocol/lanes.ts); elsewhere every request uses the socket. */
  platform?: NodeJS.Platform;
  /**
   * How a client takes a lane: by renaming its request into `.taken/` (the Node wrapper), or by creating
   * a claim file of its name there (bin/hoard's fast path, which has no rename built in), which leaves
   * the request where it was offered.
   */
  claim?: 'rename' | 'claim-file';
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
/**
 * Lanes opened between two turns of the event loop: a batch opened in one go held up the requests
 * that arrived meanwhile (the hits, which the batch is for; docs/decisions.md).
 */
const LANES_PER_TURN = 4;
/** mkfifo can fail for a moment (no descriptors or processes left under load): lanes come back after this. */
const RETRY_AFTER_MS = 60_000;

/** Whether another process with this pid runs (a server whose lanes are not this server's to remove). */
function otherProcessRuns(pid: number): boolean {
  return pid !== process.pid && processRuns(pid);
}

/** `mkfifo` makes the FIFOs: Node has no call for it, and the pool makes them in batches, off the request path. */
export function mkfifoWith(runner: ProcessRunner): (paths: string[]) => Promise<void> {
  return async (paths) => {
    const result = await runner.run('mkfifo', ['-m', '600', '--', ...paths], {
      cwd: '/',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
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
  /** Until when making lanes is not tried again after a failure (0: it works). */
  private unavailableUntil = 0;
  private warned = false;
  private readonly supported: boolean;
  /** Conversations that came through a lane, for `hoard server status`. */
  served = 0;

  constructor(private readonly options: LanePoolOptions) {
    this.supported = (options.platform ?? process.platform) === 'linux';
  }

  get ready(): number {
    let count = 0;
    for (const lane of this.lanes.values()) if (!lane.talking && lane.missingSince === undefined) count += 1;
    return count;
  }

  status(): LaneStatus {
    if (!this.supported) return { served: 0, ready: 0, available: false, unsupported: true };
    return { served: this.served, ready: this.ready, available: this.unavailableUntil === 0 };
  }

  /**
   * Clears lanes left by servers that are gone (their FIFOs have nobody behind them) and fills the pool.
   * A server that still runs keeps its lanes: two servers can start at once, and one of them then
   * steps aside. Never throws: without lanes, compile requests use the socket.
   */
  async start(): Promise<void> {
    if (!this.supported) return;
    try {
      await makeDirectory(this.options.dir, 0o700);
      // Inside the socket's directory, which was checked; a link or a stranger's directory here is still refused.
      assertRendezvous(this.options.dir);
      // Asked once per server, not once per lane: a server leaves dozens.
      const running = new Map<number, boolean>();
      const ownerRuns = (pid: number | undefined): boolean => {
        if (pid === undefined) return false;
        if (!running.has(pid)) running.set(pid, otherProcessRuns(pid));
        return running.get(pid)!;
      };
      for (const place of ['', NEW_DIR, TAKEN_DIR, REPLIES_DIR, TOLD_DIR]) {
        const names = await readdir(join(this.options.dir, place)).catch(() => [] as string[]);
        for (const name of names) {
          if ((place === '' && !isLaneName(name)) || ownerRuns(laneOwner(name))) continue;
          await rm(join(this.options.dir, place, name), { recursive: true, force: true });
        }
      }
    } catch (error) {
      this.cannotMake(error as Error);
      return;
    }
    await this.fill();
  }

  private async fill(): Promise<void> {
    if (!this.supported || this.filling || this.closed || Date.now() < this.unavailableUntil) return;
    this.filling = true;
    try {
      while (!this.closed && this.ready <= this.options.size / 2) await this.makeBatch(this.options.size - this.ready);
      this.unavailableUntil = 0;
    } catch (error) {
      this.cannotMake(error as Error);
    } finally {
      this.filling = false;
    }
  }

  private cannotMake(error: Error): void {
    this.unavailableUntil = Date.now() + (this.options.retryAfterMs ?? RETRY_AFTER_MS);
    if (this.warned) return;
    this.warned = true;
    this.options.log.warn(
      `compile requests use the socket until lanes can be made (${error.message}); trying again every minute`,
    );
  }

  private async makeBatch(count: number): Promise<void> {
    const { dir } = this.options;
    const ids = Array.from({ length: count }, () => `${process.pid}-${(this.sequence += 1)}`);
    const madeFor = (id: string): string[] => [join(dir, NEW_DIR, id), join(dir, REPLIES_DIR, id)];
    // Recreated if something removed them (a cleaner of the runtime directory, a user).
    for (const sub of [NEW_DIR, TAKEN_DIR, REPLIES_DIR]) await makeDirectory(join(dir, sub), 0o700);
    await this.options.makeFifos(ids.flatMap(madeFor));
    let offered = 0;
    try {
      for (; offered < ids.length && !this.closed; offered += 1) {
        if (offered > 0 && offered % LANES_PER_TURN === 0) {
          await turn();
          if (this.closed) break;
        }
        const lane = this.open(ids[offered]!);
        try {
          // Synchronous: a rename in the server's own small directory costs less than a thread-pool trip.
          renameSync(join(dir, NEW_DIR, lane.id), join(dir, lane.id));
        } catch (error) {
          void this.remove(lane);
          offered += 1;
          throw error;
        }
      }
    } finally {
      // The ones not offered (the pool closed, or one failed) would never be taken: nothing may be left of them.
      for (const id of ids.slice(offered)) for (const path of madeFor(id)) rmSync(path, { force: true });
    }
  }

  private open(id: string): Lane {
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
    lane.request.once('data', () => {
      lane.talking = true;
      this.served += 1;
      void this.fill();
    });
    // Handed over at once, like an accepted socket that has not spoken yet.
    const conversation = new LaneConversation(lane.request, lane.reply);
    conversation.once('close', () => void this.remove(lane));
    this.options.onConversation(conversation, id);
    return lane;
  }

  private async remove(lane: Lane): Promise<void> {
    if (!this.lanes.delete(lane.id)) return;
    lane.request.destroy();
    lane.reply.destroy();
    // The request is where the lane is now: taken (the usual case), still offered, or still being made.
    if (this.options.claim === 'claim-file') {
      unlinkFirst(['', NEW_DIR].map((place) => join(this.options.dir, place, lane.id)));
      unlinkFirst([join(this.options.dir, TAKEN_DIR, lane.id)]);
    } else {
      unlinkFirst([TAKEN_DIR, '', NEW_DIR].map((place) => join(this.options.dir, place, lane.id)));
    }
    unlinkFirst([join(this.options.dir, REPLIES_DIR, lane.id)]);
    await this.fill();
  }

  /** Housekeeping: closes lanes that were taken and never written to (their wrapper died in between). */
  async sweep(): Promise<void> {
    if (this.closed) return;
    const listed = new Set((await readdir(this.options.dir).catch(() => [] as string[])).filter(isLaneName));
    if (this.options.claim === 'claim-file') {
      for (const claimed of await readdir(join(this.options.dir, TAKEN_DIR)).catch(() => [] as string[])) {
        listed.delete(claimed);
        // A claim made just as its lane was used and removed (the client then takes another): litter.
        if (laneOwner(claimed) === process.pid && !this.lanes.has(claimed))
          rmSync(join(this.options.dir, TAKEN_DIR, claimed), { force: true });
      }
      // A client that opened a lane just removed created an empty file in its place (a shell's <> does).
      for (const place of ['', REPLIES_DIR]) {
        for (const name of await readdir(join(this.options.dir, place)).catch(() => [] as string[])) {
          if (laneOwner(name) !== process.pid || this.lanes.has(name)) continue;
          const path = join(this.options.dir, place, name);
          if (lstatSync(path, { throwIfNoEntry: false })?.isFile()) rmSync(path, { force: true });
        }
      }
    }
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
    // Only this server's lanes: another server may be using the same directory.
    await Promise.all([...this.lanes.values()].filter((lane) => !lane.talking).map((lane) => this.remove(lane)));
  }
}
