/**
 * What the guard around one remote cache saw (cache/guarded-storage.ts): lookups and how calls failed.
 * Hits it served, bytes, uploads and unusable objects are the tiered store's counters (remoteHits,
 * remoteBytesDown, … in counters.ts). Pure data.
 */
export interface RemoteCounters {
  /** Lookups (entries and manifests) that found an object. */
  hits: number;
  /** Lookups that found none. */
  misses: number;
  /** Calls that failed: refused, reset, not understood, … */
  errors: number;
  /** Calls cut off at their time limit. */
  timeouts: number;
  /** Calls the remote refused for the credentials or their rights. */
  authFailures: number;
  /** Calls not made because the remote is cooling off after a failure (a lookup is a miss, an upload dropped). */
  skipped: number;
}

export const REMOTE_COUNTER_NAMES = [
  'hits',
  'misses',
  'errors',
  'timeouts',
  'authFailures',
  'skipped',
] as const satisfies ReadonlyArray<keyof RemoteCounters>;

export function emptyRemoteCounters(): RemoteCounters {
  return { hits: 0, misses: 0, errors: 0, timeouts: 0, authFailures: 0, skipped: 0 };
}

/** Reads per-remote counters saved by any version, keeping numbers and dropping the rest. */
export function remoteCountersFrom(value: unknown): Record<string, RemoteCounters> {
  const remotes: Record<string, RemoteCounters> = {};
  if (typeof value !== 'object' || value === null) return remotes;
  for (const [label, saved] of Object.entries(value as Record<string, unknown>)) {
    if (typeof saved !== 'object' || saved === null) continue;
    const counters = emptyRemoteCounters();
    for (const name of REMOTE_COUNTER_NAMES) {
      const found = (saved as Record<string, unknown>)[name];
      if (typeof found === 'number' && Number.isFinite(found)) counters[name] = found;
    }
    remotes[label] = counters;
  }
  return remotes;
}

/** How a remote is doing, for `hoard stats`, the dashboard header and `hoard doctor`. */
export interface RemoteStatus {
  label: string;
  kind: string;
  readOnly: boolean;
  /** ok: answering; failing: its last call failed (and it is left alone until `retryAt`). */
  state: 'ok' | 'failing';
  /** ISO time of the first failure of the current run of failures. */
  failingSince?: string;
  /** ISO time when the next call will be let through. */
  retryAt?: string;
  lastFailure?: { kind: 'error' | 'timeout' | 'auth'; message: string; at: string };
  counters: RemoteCounters;
}
