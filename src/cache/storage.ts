/*
 * The storage contract every cache level implements: the local disk and each remote (S3, Redis, HTTP).
 * In the spirit of ccache's remote storage: get, put, remove, and a failure that says what kind it was.
 * Tiering, timeouts, cool-off after failures and statistics live above it (cache/tiered-store.ts,
 * cache/guarded-storage.ts), never inside a backend.
 *
 * Keys are short ASCII strings of [0-9a-z/_-] made by the caller (an entry's or a manifest's key with
 * its kind as a prefix, for example `e/<hex>`); a backend may add its own configured prefix. Values are
 * opaque bytes: a backend never parses them; what they hold is checked by whoever reads them
 * (cache/entry-object.ts verifies an entry's digest on every read from a remote).
 */

import { HoardError, type HoardErrorOptions } from '../errors/hoard-error.js';

/** Why a storage call failed: the tier above counts each kind and decides whether to back off. */
export type StorageFailureKind = 'error' | 'timeout' | 'auth';

export class StorageError extends HoardError {
  constructor(
    readonly kind: StorageFailureKind,
    message: string,
    options?: HoardErrorOptions,
  ) {
    super(message, { code: `storage-${kind}`, ...options });
    this.name = 'StorageError';
  }
}

export interface PutOptions {
  /** Replace a value already stored under the key (a corrupt entry being repaired); otherwise keep it. */
  overwrite: boolean;
}

/**
 * What a backend tells the tier above while a get is under way: that the answer has started to
 * arrive, with the object's size when it knows it. Until then the wait is bounded by the operation
 * timeout; after it, by a budget that grows with the size (GuardedStorage), so a large object on a
 * slow link is not cut off as if the remote never answered.
 */
export interface ReadProgress {
  started(totalBytes?: number): void;
}

export interface CacheStorage {
  /** For statistics, logs and `hoard doctor`: a URL-like description without secrets. */
  readonly label: string;
  /** The value under key, or undefined when there is none. Throws StorageError on failure. */
  get(key: string, signal?: AbortSignal, progress?: ReadProgress): Promise<Uint8Array | undefined>;
  /** Stores value under key. Throws StorageError on failure. */
  put(key: string, value: Uint8Array, options: PutOptions, signal?: AbortSignal): Promise<void>;
  /** Removes key if present. Throws StorageError on failure. */
  remove(key: string, signal?: AbortSignal): Promise<void>;
  /** Releases connections; pending calls may fail. */
  close(): Promise<void>;
  /**
   * False while a call now would not reach the storage (its guard leaves it alone after a failure), so
   * the tier above can skip the work of preparing one; absent means it would.
   */
  readonly available?: boolean;
}
