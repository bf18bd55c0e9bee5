import type { RemoteCounters, RemoteStatus } from '../stats/remote-counters.js';
import {
  StorageError,
  type CacheStorage,
  type PutOptions,
  type ReadProgress,
  type StorageFailureKind,
} from './storage.js';

export interface GuardOptions {
  kind: string;
  readOnly: boolean;
  /**
   * Bound on a removal, and on a lookup until its answer starts to arrive; the rest of a lookup's
   * answer then has readBudgetMs for its size.
   */
  operationTimeoutMs: number;
  /** Bound on an upload (in the background: never on a compile's path). */
  uploadTimeoutMs: number;
  /** How long a remote is left alone after a failure; doubled for each failure in a row, up to 8 times. */
  coolOffMs: number;
  /** Where to count: the stats store's counters of this remote, looked up on each call (zeroing replaces them). */
  counters: () => RemoteCounters;
  log: { warn(message: string): void; info(message: string): void };
  now?: () => number;
}

const MAX_COOL_OFF_FACTOR = 8;

/** The slowest transfer a lookup's answer is allowed once it has started: 1 MiB/s (8 Mbit/s). */
export const MIN_READ_BYTES_PER_SECOND = 1024 * 1024;

/**
 * How long the answer to a lookup may take once it has started: the operation timeout again, plus the
 * object's size at MIN_READ_BYTES_PER_SECOND; the upload timeout (the longest any transfer may take)
 * when the backend does not know the size. Never less than the operation timeout.
 */
export function readBudgetMs(
  totalBytes: number | undefined,
  operationTimeoutMs: number,
  uploadTimeoutMs: number,
): number {
  if (totalBytes === undefined) return Math.max(operationTimeoutMs, uploadTimeoutMs);
  return operationTimeoutMs + Math.ceil((totalBytes / MIN_READ_BYTES_PER_SECOND) * 1000);
}

/** What to do about each kind of failure, said once per run of failures. */
const ADVICE: Record<StorageFailureKind, string> = {
  error: "builds go on without it; 'hoard doctor' checks it",
  timeout: 'builds go on without it; if it is just slow, raise timeout (or connect_timeout) for this remote',
  auth: "builds go on without it; fix its credentials ('hoard doctor' says which are in use)",
};

/**
 * Any CacheStorage behind bounded calls: every call has a time limit; a failure leaves the remote
 * alone for a cool-off period (lookups answer "not there", uploads are dropped) instead of costing a
 * timeout on every compile; after it one call goes through as a probe (a lookup's beside the lookup, which
 * does not wait for it). Counts what happens, and logs
 * each kind of failure once per run of failures. Never throws on get: a remote that fails is a miss.
 */
export class GuardedStorage implements CacheStorage {
  readonly label: string;
  readonly readOnly: boolean;
  private failuresInARow = 0;
  private failingSince: number | undefined;
  private retryAt = 0;
  private probing = false;
  private lastFailure: RemoteStatus['lastFailure'];
  private readonly loggedKinds = new Set<StorageFailureKind>();
  private readonly now: () => number;

  constructor(
    readonly inner: CacheStorage,
    private readonly options: GuardOptions,
  ) {
    this.label = inner.label;
    this.readOnly = options.readOnly;
    this.now = options.now ?? Date.now;
  }

  status(): RemoteStatus {
    return {
      label: this.label,
      kind: this.options.kind,
      readOnly: this.readOnly,
      state: this.failingSince === undefined ? 'ok' : 'failing',
      ...(this.failingSince !== undefined
        ? { failingSince: new Date(this.failingSince).toISOString(), retryAt: new Date(this.retryAt).toISOString() }
        : {}),
      ...(this.lastFailure ? { lastFailure: this.lastFailure } : {}),
      counters: { ...this.options.counters() },
    };
  }

  /** True while the remote is left alone, or while the one probe after a cool-off is under way. */
  private coolingOff(): boolean {
    if (this.failingSince === undefined) return false;
    return this.probing || this.now() < this.retryAt;
  }

  /**
   * Runs `call` within `timeoutMs`. With `readBudget`, the call may say (through the ReadProgress it is
   * given) that its answer has started: the limit is then replaced by the budget for the answer's size.
   */
  private async bounded<T>(
    timeoutMs: number,
    call: (signal: AbortSignal, progress: ReadProgress) => Promise<T>,
    outer?: AbortSignal,
    readBudget?: (totalBytes: number | undefined) => number,
  ): Promise<T> {
    const controller = new AbortController();
    const signal = outer ? AbortSignal.any([outer, controller.signal]) : controller.signal;
    let timer: NodeJS.Timeout | undefined;
    let fail: (error: StorageError) => void = () => undefined;
    const limit = new Promise<never>((_resolve, reject) => {
      fail = reject;
    });
    const arm = (ms: number, message: string): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        // The limit first: the call's own rejection on abort must not be taken for the reason.
        fail(new StorageError('timeout', message));
        controller.abort();
      }, ms);
    };
    arm(timeoutMs, `${this.label}: no answer within ${formatMs(timeoutMs)}`);
    let started = false;
    const progress: ReadProgress = {
      started: (totalBytes) => {
        if (!readBudget || started || signal.aborted) return;
        started = true;
        const budget = readBudget(totalBytes);
        arm(
          budget,
          `${this.label}: an answer${totalBytes === undefined ? '' : ` of ${totalBytes} bytes`} not received within ${formatMs(budget)} of its start`,
        );
      },
    };
    const attempt = call(signal, progress);
    attempt.catch(() => undefined);
    try {
      return await Promise.race([attempt, limit]);
    } finally {
      clearTimeout(timer);
    }
  }

  private succeeded(): void {
    if (this.failingSince !== undefined) {
      this.options.log.info(
        `remote ${this.label} answers again (it failed ${this.failuresInARow} times in a row since ${new Date(this.failingSince).toISOString()})`,
      );
    }
    this.failuresInARow = 0;
    this.failingSince = undefined;
    this.loggedKinds.clear();
  }

  private failed(error: unknown): StorageError {
    const failure =
      error instanceof StorageError
        ? error
        : new StorageError('error', `${this.label}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
    const counters = this.options.counters();
    if (failure.kind === 'timeout') counters.timeouts += 1;
    else if (failure.kind === 'auth') counters.authFailures += 1;
    else counters.errors += 1;
    const now = this.now();
    this.failuresInARow += 1;
    this.failingSince ??= now;
    const coolOff = this.options.coolOffMs * Math.min(MAX_COOL_OFF_FACTOR, 2 ** (this.failuresInARow - 1));
    this.retryAt = now + coolOff;
    this.lastFailure = { kind: failure.kind, message: failure.message, at: new Date(now).toISOString() };
    if (!this.loggedKinds.has(failure.kind)) {
      this.loggedKinds.add(failure.kind);
      this.options.log.warn(
        `remote ${this.label} failed (${failure.kind}): ${failure.message}. It is left alone for ${formatMs(coolOff)} at a time until it answers; ${ADVICE[failure.kind]}.`,
      );
    }
    return failure;
  }

  /** Runs one call unless the remote is cooling off; the first call after a cool-off is the only one let through. */
  private async guarded<T>(
    timeoutMs: number,
    call: (signal: AbortSignal, progress: ReadProgress) => Promise<T>,
    outer?: AbortSignal,
    readBudget?: (totalBytes: number | undefined) => number,
  ): Promise<{ done: true; value: T } | { done: false }> {
    if (this.coolingOff()) {
      this.options.counters().skipped += 1;
      return { done: false };
    }
    const probe = this.failingSince !== undefined;
    if (probe) this.probing = true;
    try {
      const value = await this.bounded(timeoutMs, call, outer, readBudget);
      this.succeeded();
      return { done: true, value };
    } catch (error) {
      throw this.failed(error);
    } finally {
      if (probe) this.probing = false;
    }
  }

  /**
   * The object, or undefined when there is none or the remote is cooling off. A failure throws its
   * StorageError (counted and logged here once), as the contract says; the tier above takes it as a miss.
   */
  async get(key: string, signal?: AbortSignal): Promise<Uint8Array | undefined> {
    if (this.failingSince !== undefined) {
      // A lookup is on a compile's path: after a failure it never waits for the remote. Once the
      // cool-off is over, the probe reads the same key beside it, and the lookups after a probe that
      // was answered go through again.
      if (!this.coolingOff()) void this.probe(key);
      this.options.counters().skipped += 1;
      return undefined;
    }
    const result = await this.read(key, signal);
    if (!result.done) return undefined;
    const counters = this.options.counters();
    if (result.value === undefined) counters.misses += 1;
    else counters.hits += 1;
    return result.value;
  }

  private read(
    key: string,
    signal?: AbortSignal,
  ): Promise<{ done: true; value: Uint8Array | undefined } | { done: false }> {
    const { operationTimeoutMs, uploadTimeoutMs } = this.options;
    return this.guarded(
      operationTimeoutMs,
      (bounded, progress) => this.inner.get(key, bounded, progress),
      signal,
      (totalBytes) => readBudgetMs(totalBytes, operationTimeoutMs, uploadTimeoutMs),
    );
  }

  /** The one call after a cool-off, off any compile's path: its outcome (counted, logged) is the remote's state. */
  private async probe(key: string): Promise<void> {
    try {
      await this.read(key);
    } catch {
      // Counted and logged by guarded; the cool-off starts again.
    }
  }

  /** Uploads unless read-only; throws StorageError when the remote fails or is cooling off (the upload is dropped). */
  async put(key: string, value: Uint8Array, options: PutOptions, signal?: AbortSignal): Promise<void> {
    if (this.readOnly) return;
    const result = await this.guarded(
      this.options.uploadTimeoutMs,
      (bounded) => this.inner.put(key, value, options, bounded),
      signal,
    );
    if (!result.done)
      throw new StorageError(
        'error',
        `${this.label}: not tried, failing since ${new Date(this.failingSince ?? this.now()).toISOString()}`,
      );
  }

  async remove(key: string, signal?: AbortSignal): Promise<void> {
    if (this.readOnly) return;
    await this.guarded(this.options.operationTimeoutMs, (bounded) => this.inner.remove(key, bounded), signal);
  }

  /** Whether a call now would reach the remote (for the tier above, which may skip work for it). */
  get available(): boolean {
    return !this.coolingOff();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${+(ms / 1000).toFixed(1)} s`;
}
