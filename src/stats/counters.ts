import { remoteCountersFrom, type RemoteCounters } from './remote-counters.js';

/** The counters hoard keeps, globally (and, later, per worktree). Pure data: no IO here. */
export interface Counters {
  /** Every compiler call the wrapper asked about. */
  requests: number;
  hits: number;
  misses: number;
  /** Calls that compile nothing: `rustc -vV`, `--print`. */
  notCompilation: number;
  /** Compiles the cache does not take, by reason. */
  notCacheable: Record<string, number>;
  /** Internal failures (each ended in a direct compile or an unstored result), by kind. */
  errors: Record<string, number>;
  /** Misses whose compile failed: nothing is stored for them. */
  failedCompiles: number;
  /** Compiler time the hits did not spend: each entry's compile time minus the time to restore it. */
  timeSavedMs: number;
  bytesRestored: number;
  bytesStored: number;
  /** Hits served from a remote (fetched once into the local disk), by remote label; local hits are `hits` minus their sum. */
  remoteHits: Record<string, number>;
  /** Bytes of objects read from each remote (entries and manifests), by remote label. */
  remoteBytesDown: Record<string, number>;
  /** Bytes of objects written to each remote, by remote label. */
  remoteBytesUp: Record<string, number>;
  /** Objects written to each remote, by remote label. */
  remoteUploads: Record<string, number>;
  /** Uploads not made: `queue-full` (the bounded queue was full) or a remote's label (its put failed). */
  uploadsDropped: Record<string, number>;
  /** Objects that were not what their key says (truncated, corrupt, stored under another key, refused), by level label. */
  corruptObjects: Record<string, number>;
  /** The same outcomes by kind of compile (rust library, proc-macro, build script, binary, c, c++): where hits come from. */
  byKind: Record<string, KindCounters>;
  /** Each remote cache by its label (global counters only): what its guard saw (cache/guarded-storage.ts). */
  remotes: Record<string, RemoteCounters>;
  /** Misses by what made them miss (src/why/differences.ts MISS_CAUSES): first build, sources, arguments, … */
  missCauses: Record<string, number>;
  /** Misses whose only difference was the checkout's path, in a compile without a base directory. */
  baseDirsWouldHit: number;
  /**
   * C and C++: preprocessor runs of the cache's own, by when (`before-compile`: looking for a hit under
   * the preprocessed key; `after-compile`: to store under it), and `depend-mode`: misses that ran none.
   */
  ccPreprocessor: Record<string, number>;
}

export interface KindCounters {
  requests: number;
  hits: number;
  misses: number;
  notCacheable: number;
}

export type KindOutcome = keyof KindCounters;

export function emptyCounters(): Counters {
  return {
    requests: 0,
    hits: 0,
    misses: 0,
    notCompilation: 0,
    notCacheable: {},
    errors: {},
    failedCompiles: 0,
    timeSavedMs: 0,
    bytesRestored: 0,
    bytesStored: 0,
    remoteHits: {},
    remoteBytesDown: {},
    remoteBytesUp: {},
    remoteUploads: {},
    uploadsDropped: {},
    corruptObjects: {},
    byKind: {},
    remotes: {},
    missCauses: {},
    baseDirsWouldHit: 0,
    ccPreprocessor: {},
  };
}

/** Counts one outcome of a compile of the given kind. */
export function tallyKind(counters: Counters, kind: string, outcome: KindOutcome): void {
  const entry = (counters.byKind[kind] ??= { requests: 0, hits: 0, misses: 0, notCacheable: 0 });
  entry[outcome] += 1;
}

function kindCountersFrom(value: unknown): Record<string, KindCounters> {
  const kinds: Record<string, KindCounters> = {};
  if (typeof value !== 'object' || value === null) return kinds;
  for (const [kind, saved] of Object.entries(value as Record<string, unknown>)) {
    if (typeof saved !== 'object' || saved === null) continue;
    const numberAt = (field: KindOutcome): number => {
      const found = (saved as Record<string, unknown>)[field];
      return typeof found === 'number' && Number.isFinite(found) ? found : 0;
    };
    kinds[kind] = {
      requests: numberAt('requests'),
      hits: numberAt('hits'),
      misses: numberAt('misses'),
      notCacheable: numberAt('notCacheable'),
    };
  }
  return kinds;
}

export function increment(table: Record<string, number>, key: string, by = 1): void {
  table[key] = (table[key] ?? 0) + by;
}

export function sumOf(table: Record<string, number>): number {
  return Object.values(table).reduce((sum, value) => sum + value, 0);
}

/** Hits as a share of the calls the cache could answer (hits and misses). */
export function hitRate(counters: Counters): number | undefined {
  const answered = counters.hits + counters.misses;
  return answered === 0 ? undefined : counters.hits / answered;
}

/** Reads counters saved by any earlier version, keeping what is a number and dropping the rest. */
export function countersFrom(value: unknown): Counters {
  const counters = emptyCounters();
  if (typeof value !== 'object' || value === null) return counters;
  const source = value as Record<string, unknown>;
  counters.byKind = kindCountersFrom(source.byKind);
  counters.remotes = remoteCountersFrom(source.remotes);
  for (const key of Object.keys(counters) as Array<keyof Counters>) {
    if (key === 'byKind' || key === 'remotes') continue;
    const saved = source[key];
    const current = counters[key];
    if (typeof current === 'number' && typeof saved === 'number' && Number.isFinite(saved)) {
      (counters[key] as number) = saved;
    } else if (typeof current === 'object' && typeof saved === 'object' && saved !== null) {
      for (const [name, count] of Object.entries(saved))
        if (typeof count === 'number') (current as Record<string, number>)[name] = count;
    }
  }
  return counters;
}
