import type { Logger } from './logger.js';

/** A draining server gives its open conversations this long before it exits anyway. */
export const DRAIN_LIMIT_MS = 5 * 60_000;
/** How often a draining server looks whether its conversations have finished. */
const DRAIN_POLL_MS = 50;

export interface LifecycleOptions {
  log: Logger;
  /** Stop taking conversations: give up the socket path and the lanes, tell the subscribers why. */
  stopTaking(why: string): Promise<void>;
  /** Once the conversations are over (or the drain limit passed): save what outlives the server, close the rest. */
  finish(): Promise<void>;
  /** Whether the socket path is still this server's (another server may have replaced it). */
  ownsSocket(): Promise<boolean>;
  /** Periodic chores while running (closing abandoned lanes). */
  sweep?(): Promise<void>;
  /** idle_timeout in seconds, read at every look (0: never idle out). */
  idleTimeoutSeconds(): number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  drainLimitMs?: number;
}

/**
 * When the server stops: idle for idle_timeout with no conversation open, asked to (`shutdown`, a
 * signal), replaced on the socket path, or met by a client of another protocol version. Every way
 * drains alike: no new conversations, the open ones finish (bounded), then the state is saved.
 */
export class Lifecycle {
  private active = 0;
  private lastActivity: number;
  private draining = false;
  private resolveExit!: (code: number) => void;
  /** The server's exit code, once it has drained. */
  readonly finished = new Promise<number>((resolve) => {
    this.resolveExit = resolve;
  });

  constructor(private readonly options: LifecycleOptions) {
    this.lastActivity = this.now();
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  get isDraining(): boolean {
    return this.draining;
  }

  get openConversations(): number {
    return this.active;
  }

  /** A message arrived: the server is not idle. */
  touch(): void {
    this.lastActivity = this.now();
  }

  /** A conversation began; the returned call ends it. */
  conversationStarted(): () => void {
    this.active += 1;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.active -= 1;
      this.touch();
    };
  }

  /** Stops taking connections, lets the open conversations finish (bounded), saves, and exits. */
  async drain(why: string): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    const { log } = this.options;
    log.info(`stopping: ${why}`);
    await this.options.stopTaking(why);
    const sleep = this.options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    const deadline = this.now() + (this.options.drainLimitMs ?? DRAIN_LIMIT_MS);
    while (this.active > 0 && this.now() < deadline) await sleep(DRAIN_POLL_MS);
    await this.options.finish();
    this.resolveExit(0);
  }

  /** The periodic look: replaced on the socket path, abandoned lanes, idle too long. */
  async housekeeping(): Promise<void> {
    if (this.draining) return;
    if (!(await this.options.ownsSocket())) {
      await this.drain('the socket path now belongs to another server');
      return;
    }
    await this.options.sweep?.();
    const idleSeconds = this.options.idleTimeoutSeconds();
    const idleMs = idleSeconds * 1000;
    if (idleMs > 0 && this.active === 0 && this.now() - this.lastActivity > idleMs)
      await this.drain(`idle for ${idleSeconds} s`);
  }

  /** SIGTERM, SIGINT and SIGHUP drain the server like `hoard server stop`. */
  drainOnSignals(target: Pick<NodeJS.Process, 'on'> = process): void {
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const)
      target.on(signal, () => void this.drain(`received ${signal}`));
  }
}
