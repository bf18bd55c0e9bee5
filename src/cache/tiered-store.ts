import type { Counters } from '../stats/counters.js';
import { increment } from '../stats/counters.js';
import type { CommitOptions, DiskStore, EntryMetadata, Lookup, StagedOutputs } from './disk-store.js';
import {
  CorruptObject,
  NewerObject,
  decodeEntryObject,
  decodeObject,
  encodeEntryObject,
  encodeObject,
  loadCodecAhead,
  type EntryContent,
} from './entry-object.js';
import {
  mergeManifests,
  parseManifest,
  manifestText,
  type CurrentState,
  type ManifestEntry,
  type ManifestStore,
} from './manifest-store.js';
import { entryObjectKey, manifestObjectKey } from './object-keys.js';
import type { CacheStorage } from './storage.js';
import { UploadQueue } from './upload-queue.js';

/*
 * The cache as the compile flow sees it: the local disk first, then each remote in the configured
 * order. A remote hit is written to the local disk once and restored from there; a new entry is stored
 * locally and uploaded to every writable remote in the background. A remote that throws is a miss for
 * a read and a dropped upload for a write: timeouts, cool-off and the counts of lookups and failures
 * are its wrapper's (GuardedStorage); what this store counts is what the levels served and moved.
 */

export interface RemoteLevel {
  storage: CacheStorage;
  /** Read from, never written to (developer machines read what CI wrote). */
  readOnly: boolean;
}

/** Applies a change to counters: a request's worktree and the global ones, or only the global ones. */
export type CountChange = (change: (counters: Counters) => void) => void;

export interface TierLog {
  warn(message: string): void;
  debug(message: string): void;
}

export interface TieredStoreOptions {
  local: DiskStore;
  manifests: ManifestStore;
  remotes?: readonly RemoteLevel[];
  /** zstd level of the objects sent to remotes (1–19); 0 sends them uncompressed. */
  compressionLevel?: number;
  /** Uploads waiting at most (each an entry or a manifest for every writable remote). */
  uploadQueueLimit?: number;
  uploadConcurrency?: number;
  /** The global counters, for what happens off any request (uploads). */
  count: CountChange;
  log: TierLog;
}

/** An entry read and checked from a remote, not yet written to the local disk. */
interface Fetched {
  from: string;
  content: EntryContent;
}

/** One fetch of an entry: what it brought (undefined when no remote had it intact), and its import once a request takes it. */
interface Fetch {
  fetched: Promise<Fetched | undefined>;
  /** The identities of the entry's blobs as the import wrote them; undefined when it brought nothing. */
  imported?: Promise<string[] | undefined>;
}

export const DEFAULT_COMPRESSION_LEVEL = 3;
const DEFAULT_UPLOAD_QUEUE_LIMIT = 512;
const DEFAULT_UPLOAD_CONCURRENCY = 2;

export class TieredStore {
  readonly local: DiskStore;
  readonly manifests: ManifestStore;
  private levels: readonly RemoteLevel[];
  private compressionLevel: number;
  private readonly uploads: UploadQueue;
  /**
   * Entries being fetched from a remote (a second request for one waits for the first fetch), and
   * entries fetched ahead, held in memory, that no request has taken yet.
   */
  private readonly fetches = new Map<string, Fetch>();
  /**
   * Entries a remote held a damaged object of: their next upload replaces it. Otherwise an upload that
   * keeps what is there (Redis SET NX) would leave it for every machine to fetch and refuse again.
   */
  private readonly damagedRemotely = new Set<string>();
  /** Remotes that held an object of a newer layout (said once each). */
  private readonly newerSeen = new Set<string>();
  /** Remote manifests being merged into the local one: a lookup of the same direct key waits for it and is then local. */
  private readonly merging = new Map<string, Promise<void>>();

  constructor(private readonly options: TieredStoreOptions) {
    this.local = options.local;
    this.manifests = options.manifests;
    this.levels = options.remotes ?? [];
    if (this.levels.length > 0) loadCodecAhead();
    this.compressionLevel = options.compressionLevel ?? DEFAULT_COMPRESSION_LEVEL;
    this.uploads = new UploadQueue({
      limit: options.uploadQueueLimit ?? DEFAULT_UPLOAD_QUEUE_LIMIT,
      concurrency: options.uploadConcurrency ?? DEFAULT_UPLOAD_CONCURRENCY,
      onDropped: () => options.count((counters) => increment(counters.uploadsDropped, 'queue-full')),
      onFailed: (error) => options.log.warn(`an upload failed: ${(error as Error).message}`),
    });
  }

  /** The remotes, in the order they are asked. */
  get remotes(): readonly RemoteLevel[] {
    return this.levels;
  }

  /**
   * Takes a new list of remotes (the config changed). Queued uploads go to the writable remotes of the
   * new list. A storage no longer in the list (compared by reference) is closed once the uploads queued
   * now have finished.
   */
  configure(settings: { remotes?: readonly RemoteLevel[]; compressionLevel?: number }): void {
    if (settings.remotes) {
      if (settings.remotes.length > 0) loadCodecAhead();
      const kept = new Set(settings.remotes.map((remote) => remote.storage));
      const dropped = this.levels.filter((remote) => !kept.has(remote.storage));
      this.levels = settings.remotes;
      if (dropped.length > 0) {
        void this.uploads
          .drain()
          .then(() => Promise.all(dropped.map((remote) => remote.storage.close().catch(() => undefined))));
      }
    }
    if (settings.compressionLevel !== undefined) this.compressionLevel = settings.compressionLevel;
  }

  /** Uploads waiting or under way. */
  get uploadQueueLength(): number {
    return this.uploads.length;
  }

  /**
   * The result key for a direct key: from the local manifest, else from each remote's manifest in
   * turn (its combinations are merged into the local manifest in the background, so the next lookup is
   * local). The entry the remote's first applicable combination names is fetched while the
   * combinations are checked against the files here (hashing sources, on a fresh machine): the two
   * waits overlap instead of adding up.
   */
  async findResult(
    directKey: string,
    now: CurrentState,
    count: CountChange = this.options.count,
  ): Promise<string | undefined> {
    await this.merging.get(directKey);
    const local = await this.manifests.find(directKey, now);
    if (local !== undefined) return local;
    for (const remote of this.levels) {
      const entries = await this.readManifest(remote, directKey, count);
      if (entries === 'newer' || !entries?.length) continue;
      const likely = entries.find((entry) =>
        entry.envDeps.every(([name, value]) => now.env(name) === value),
      )?.resultKey;
      if (likely !== undefined) this.startFetch(likely, count, true);
      const merged: Promise<void> = this.manifests
        .merge(directKey, entries)
        .catch((error: unknown) =>
          this.options.log.warn(
            `could not keep ${remote.storage.label}'s manifest ${directKey}: ${(error as Error).message}`,
          ),
        )
        .finally(() => {
          if (this.merging.get(directKey) === merged) this.merging.delete(directKey);
        });
      this.merging.set(directKey, merged);
      let found: string | undefined;
      try {
        found = await this.manifests.findIn(entries, now);
      } finally {
        // Held in memory until a request takes it: one no request will take is let go at once.
        if (likely !== undefined && found !== likely) this.drop(likely);
      }
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** The remote's manifest; undefined when it has none it can read, 'newer' when a newer hoard wrote it. */
  private async readManifest(
    remote: RemoteLevel,
    directKey: string,
    count: CountChange,
  ): Promise<ManifestEntry[] | 'newer' | undefined> {
    const value = await this.read(remote, manifestObjectKey(directKey), count);
    if (!value) return undefined;
    try {
      return parseManifest((await decodeObject('m', directKey, value)).toString('utf8'));
    } catch (error) {
      this.corrupt(remote, manifestObjectKey(directKey), error, count);
      return error instanceof NewerObject ? 'newer' : undefined;
    }
  }

  /** One read from a remote: its bytes, or undefined for a miss and for any failure (counted). */
  private async read(remote: RemoteLevel, key: string, count: CountChange): Promise<Uint8Array | undefined> {
    try {
      const value = await remote.storage.get(key);
      if (value) count((counters) => increment(counters.remoteBytesDown, remote.storage.label, value.byteLength));
      return value;
    } catch (error) {
      // Counted once, by kind, by the remote's guard (GuardedStorage), which sees every call.
      this.options.log.debug(`reading ${key} from ${remote.storage.label} failed: ${(error as Error).message}`);
      return undefined;
    }
  }

  /** Counts and logs an object that could not be read; true when the object itself was at fault. */
  private corrupt(remote: RemoteLevel, key: string, error: unknown, count: CountChange): boolean {
    if (error instanceof NewerObject) {
      if (!this.newerSeen.has(remote.storage.label)) {
        this.newerSeen.add(remote.storage.label);
        this.options.log.warn(`${remote.storage.label}: ${error.message}; such objects are misses here`);
      }
      return false;
    }
    if (
      !(error instanceof CorruptObject) &&
      !(error instanceof SyntaxError) &&
      (error as { name?: string }).name !== 'ZodError'
    ) {
      // Not the object's fault, nor the remote's (zstd could not be loaded): a miss, said in the log.
      count((counters) => increment(counters.errors, 'internal'));
      this.options.log.warn(`${remote.storage.label}: could not read ${key}: ${(error as Error).message}`);
      return false;
    }
    count((counters) => {
      increment(counters.corruptObjects, remote.storage.label);
      increment(counters.errors, 'corrupt-object');
    });
    const why = error instanceof CorruptObject ? error.message : `not a manifest: ${(error as Error).message}`;
    this.options.log.warn(`${remote.storage.label}: ignored ${key}, ${why}`);
    return true;
  }

  /**
   * The entry `key`: from the local disk, else fetched once from the first remote that has it into the
   * local disk. A fetch started ahead (findResult) is taken over: the object is read and checked then,
   * written to the local disk now, by the first request that asks for it, which counts the remote's hit.
   */
  async get(key: string, count: CountChange = this.options.count): Promise<Lookup> {
    const local = await this.local.get(key);
    const pending = this.fetches.get(key);
    if (local.status !== 'miss') {
      if (pending && !pending.imported) this.drop(key);
      return local;
    }
    if (this.levels.length === 0 && !pending) return local;
    const fetch = pending ?? this.startFetch(key, count, false);
    fetch.imported ??= this.importFetched(key, fetch, count);
    const identities = await fetch.imported;
    if (!identities) return local;
    const imported = await this.local.get(key);
    // The blobs there are still those the import wrote from the object checked in memory (not replaced
    // since by a store of the same key): their copies need no read-back (see FoundEntry).
    if (
      imported.status === 'hit' &&
      imported.found.entry.outputs.every((output, index) => output.identity === identities[index])
    )
      return { status: 'hit', found: { ...imported.found, checkedInMemory: true } };
    return imported;
  }

  /** Writes what a fetch brought into the local disk and counts the remote's hit; undefined when it brought nothing. */
  private async importFetched(key: string, fetch: Fetch, count: CountChange): Promise<string[] | undefined> {
    try {
      const fetched = await fetch.fetched;
      if (!fetched) return undefined;
      const started = performance.now();
      const { identities } = await this.local.importEntry(key, fetched.content, { overwrite: true });
      this.options.log.debug(`${key}: written to the local disk in ${Math.round(performance.now() - started)} ms`);
      count((counters) => increment(counters.remoteHits, fetched.from));
      return identities;
    } finally {
      if (this.fetches.get(key) === fetch) this.fetches.delete(key);
    }
  }

  /** Forgets a fetch started ahead that no request takes (the lookup chose another entry, or none): nothing of it is kept. */
  private drop(key: string): void {
    const fetch = this.fetches.get(key);
    if (fetch && !fetch.imported) this.fetches.delete(key);
  }

  /** The one fetch of `key` under way, started if there is none. `checkLocal`: started ahead, when the local disk may have it. */
  private startFetch(key: string, count: CountChange, checkLocal: boolean): Fetch {
    const running = this.fetches.get(key);
    if (running) return running;
    const fetched = (async () => {
      if (checkLocal && (await this.local.get(key)).status !== 'miss') return undefined;
      return this.fetch(key, count);
    })().catch((error: unknown) => {
      this.options.log.warn(`fetching ${key}: ${(error as Error).message}`);
      return undefined;
    });
    const fetch: Fetch = { fetched };
    this.fetches.set(key, fetch);
    return fetch;
  }

  /** Reads and checks `key` from the first remote that has it (never twice: a damaged object is counted once). */
  private async fetch(key: string, count: CountChange): Promise<Fetched | undefined> {
    for (const remote of this.levels) {
      const started = performance.now();
      const value = await this.read(remote, entryObjectKey(key), count);
      if (!value) continue;
      const read = performance.now();
      try {
        const content = await decodeEntryObject(key, value);
        this.options.log.debug(
          `${key}: ${value.byteLength} bytes from ${remote.storage.label} read in ${Math.round(read - started)} ms, checked in ${Math.round(performance.now() - read)} ms`,
        );
        return { from: remote.storage.label, content };
      } catch (error) {
        if (this.corrupt(remote, entryObjectKey(key), error, count)) this.damagedRemotely.add(key);
      }
    }
    return undefined;
  }

  /** Stores staged outputs as the local entry `key` and queues its upload. Returns the bytes added locally. */
  async commit(
    key: string,
    staged: StagedOutputs,
    metadata: EntryMetadata,
    options: CommitOptions = {},
  ): Promise<number> {
    const bytes = await this.local.commit(key, staged, metadata, options);
    const overwrite = options.overwrite === true || this.damagedRemotely.delete(key);
    if (bytes > 0) this.queueUpload(() => this.uploadEntry(key, overwrite));
    return bytes;
  }

  /** Adds a combination to the direct key's manifest, locally and (in the background) in each writable remote. */
  async addManifest(directKey: string, entry: ManifestEntry): Promise<void> {
    await this.manifests.add(directKey, entry);
    this.queueUpload(() => this.uploadManifest(directKey));
  }

  private writable(): RemoteLevel[] {
    return this.levels.filter((remote) => !remote.readOnly);
  }

  private queueUpload(job: () => Promise<void>): void {
    if (this.writable().length > 0) this.uploads.push(job);
  }

  /**
   * The writable remotes a call would reach now. An upload to one left alone after a failure is dropped
   * (counted) before anything is read or compressed for it: during a build against a remote that is
   * down, compressing every miss's outputs for nothing would take the CPU from the compiles.
   */
  private uploadTargets(): RemoteLevel[] {
    const targets: RemoteLevel[] = [];
    for (const remote of this.writable()) {
      if (remote.storage.available === false)
        this.options.count((counters) => increment(counters.uploadsDropped, remote.storage.label));
      else targets.push(remote);
    }
    return targets;
  }

  private async uploadEntry(key: string, overwrite: boolean): Promise<void> {
    const targets = this.uploadTargets();
    if (targets.length === 0) return;
    const content = await this.local.exportEntry(key);
    if (!content) return;
    const value = await encodeEntryObject(key, content, this.compressionLevel);
    await Promise.all(targets.map((remote) => this.write(remote, entryObjectKey(key), value, overwrite)));
  }

  /** The remote's combinations merged with the local ones: two machines adding to one manifest both keep theirs. */
  private async uploadManifest(directKey: string): Promise<void> {
    const targets = this.uploadTargets();
    if (targets.length === 0) return;
    const local = await this.manifests.read(directKey);
    if (local.length === 0) return;
    await Promise.all(
      targets.map(async (remote) => {
        const remoteEntries = (await this.readManifest(remote, directKey, this.options.count)) ?? [];
        // Merging into it would drop what it holds: a newer hoard's manifest is left as it is.
        if (remoteEntries === 'newer') return;
        const body = Buffer.from(manifestText(mergeManifests(local, remoteEntries)), 'utf8');
        const value = await encodeObject('m', directKey, body, this.compressionLevel);
        await this.write(remote, manifestObjectKey(directKey), value, true);
      }),
    );
  }

  private async write(remote: RemoteLevel, key: string, value: Uint8Array, overwrite: boolean): Promise<void> {
    const label = remote.storage.label;
    try {
      await remote.storage.put(key, value, { overwrite });
      this.options.count((counters) => {
        increment(counters.remoteBytesUp, label, value.byteLength);
        increment(counters.remoteUploads, label);
      });
    } catch (error) {
      this.options.count((counters) => increment(counters.uploadsDropped, label));
      this.options.log.debug(`uploading ${key} to ${label} failed: ${(error as Error).message}`);
    }
  }

  /** Waits for the queued uploads (`hoard server stop`); true when all finished within `timeoutMs`. */
  drain(timeoutMs?: number): Promise<boolean> {
    return this.uploads.drain(timeoutMs);
  }

  /** Drains the uploads, then closes every remote. */
  async close(timeoutMs?: number): Promise<void> {
    await this.drain(timeoutMs);
    await Promise.all(this.levels.map((remote) => remote.storage.close().catch(() => undefined)));
  }
}
