import type { Socket } from 'node:net';
import { writeAtomically } from '../fs/write-atomically.js';
import { encodeFrame } from '../protocol/framing.js';
import type { CompileEvent, LiveUpdate } from '../protocol/messages.js';
import { HitRateHistory, readSavedHistory } from '../stats/history.js';
import type { StatsSnapshot } from '../stats/snapshot.js';
import type { Worktree } from '../worktree/locate.js';

/** How many of the latest compiles subscribers see. */
export const RECENT_COMPILES = 50;
/** Bursts of compiles are pushed at most this often. */
const PUSH_INTERVAL_MS = 250;
/** Counters also change without a compile event (bytes stored, evictions, errors): looked at this often. */
const CHANGE_CHECK_MS = 1000;
/** A subscriber that stopped reading (a suspended dashboard) is skipped rather than buffered without end. */
const MAX_UNREAD_BYTES = 4 * 1024 * 1024;

/** What the rust handler reports for each compile it decided. */
export interface CompileReport {
  crate: string;
  kind: string;
  worktree: Worktree;
  outcome: CompileEvent['outcome'];
  reason?: string;
  durationMs?: number;
  savedMs?: number;
  /** A miss: what differed from the unit's nearest earlier compile (src/why/). */
  why?: CompileEvent['why'];
}

export interface LiveFeedSources {
  snapshot(): StatsSnapshot;
  config(): LiveUpdate['config'];
  /** Where the per-minute history is kept between servers; none in tests. */
  historyPath?: string;
  now?: () => number;
}

/** The crate a compiler call builds, for calls that are not parsed further (not cacheable). */
export function crateNameOf(argv: readonly string[], env: Readonly<Record<string, string>> = {}): string {
  let name = '?';
  for (let index = 0; index < argv.length; index += 1) {
    if (argv[index] === '--crate-name' && argv[index + 1]) name = argv[index + 1]!;
    else if (argv[index]!.startsWith('--crate-name=')) name = argv[index]!.slice('--crate-name='.length);
  }
  return crateLabel(name, env);
}

/** How the stream names a crate: every build script is build_script_build, so by its package instead. */
export function crateLabel(crateName: string, env: Readonly<Record<string, string>>): string {
  return crateName.startsWith('build_script_') && env.CARGO_PKG_NAME ? env.CARGO_PKG_NAME : crateName;
}

/**
 * The server's side of the dashboard: the latest compiles, hits per minute, and the connections that
 * subscribed to them. Subscribers get the whole state at once and again whenever it changed.
 */
export class LiveFeed {
  readonly history: HitRateHistory;
  private recent: CompileEvent[] = [];
  private readonly subscribers = new Set<Socket>();
  private pushTimer: NodeJS.Timeout | undefined;
  private checkTimer: NodeJS.Timeout | undefined;
  private lastSent = '';
  /** Compiles recorded and zeroings: changes that the counters alone may not show. */
  private events = 0;
  private stoppingReason: string | undefined;
  private readonly now: () => number;

  constructor(private readonly sources: LiveFeedSources) {
    this.now = sources.now ?? Date.now;
    this.history = new HitRateHistory(sources.historyPath ? readSavedHistory(sources.historyPath) : [], this.now);
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  subscribe(socket: Socket): void {
    this.subscribers.add(socket);
    // A dashboard that goes away mid-write is no error of the server's.
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.subscribers.delete(socket);
      if (this.subscribers.size === 0) this.stopChecking();
    });
    this.write(socket, this.update());
    this.checkTimer ??= setInterval(() => {
      if (this.signature() !== this.lastSent) this.schedulePush();
    }, CHANGE_CHECK_MS);
  }

  record(report: CompileReport): void {
    const { worktree, ...rest } = report;
    this.recent.push({
      at: this.now(),
      ...rest,
      worktree: { id: worktree.id, name: worktree.name, root: worktree.root },
    });
    if (this.recent.length > RECENT_COMPILES) this.recent.shift();
    this.events += 1;
    if (report.outcome === 'hit') this.history.record('hit');
    else if (report.outcome === 'miss' || report.outcome === 'failed') this.history.record('miss');
    this.schedulePush();
  }

  /** The statistics were zeroed: the history and the stream go with them. */
  zeroed(): void {
    this.history.clear();
    this.recent = [];
    this.events += 1;
    this.pushNow();
  }

  /** The server drains: subscribers are told why, and the connection closes when it exits. */
  stopping(reason: string): void {
    this.stoppingReason = reason;
    this.pushNow();
  }

  async close(): Promise<void> {
    this.stopChecking();
    if (this.pushTimer) clearTimeout(this.pushTimer);
    this.pushTimer = undefined;
    if (this.sources.historyPath)
      await writeAtomically(this.sources.historyPath, JSON.stringify(this.history.recent())).catch(() => undefined);
  }

  private update(): LiveUpdate {
    const update: LiveUpdate = {
      type: 'live',
      snapshot: this.sources.snapshot(),
      recent: this.recent,
      history: this.history.recent(),
      config: this.sources.config(),
      ...(this.stoppingReason ? { stopping: this.stoppingReason } : {}),
    };
    this.lastSent = this.signature(update);
    return update;
  }

  /** What identifies a state worth sending: everything but the server's uptime, which clients count on. */
  private signature(update?: LiveUpdate): string {
    const snapshot = update?.snapshot ?? this.sources.snapshot();
    return JSON.stringify([
      snapshot.counters,
      snapshot.worktrees,
      snapshot.cache,
      this.events,
      update?.config ?? this.sources.config(),
      this.stoppingReason,
    ]);
  }

  private schedulePush(): void {
    if (this.subscribers.size === 0 || this.pushTimer) return;
    this.pushTimer = setTimeout(() => {
      this.pushTimer = undefined;
      this.pushNow();
    }, PUSH_INTERVAL_MS);
  }

  private pushNow(): void {
    if (this.subscribers.size === 0) return;
    const update = this.update();
    for (const socket of this.subscribers) this.write(socket, update);
  }

  private write(socket: Socket, update: LiveUpdate): void {
    if (socket.destroyed || socket.writableLength > MAX_UNREAD_BYTES) return;
    socket.write(encodeFrame(update));
  }

  private stopChecking(): void {
    if (this.checkTimer) clearInterval(this.checkTimer);
    this.checkTimer = undefined;
  }
}
