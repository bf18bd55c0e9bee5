import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  write,
  writeFileSync,
} from 'node:fs';
import { chmod, copyFile, mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { DigestMemo } from '../hash/digest-memo.js';
import { cacheFileMode } from '../fs/cache-access.js';
import { fileIdentity } from '../fs/file-identity.js';
import { digestContent, digestFile } from '../hash/blake3.js';
import { entrySchema, ENTRY_FORMAT, refusal, sealOf, type Entry } from './entry.js';
import type { EntryContent } from './entry-object.js';
import { ParsedFiles } from '../fs/parsed-files.js';
import { fromTemplate, toTemplate, type BuildPlaces } from './path-template.js';
import type { RestoreFile } from '../protocol/messages.js';

export interface OutputFile {
  name: string;
  path: string;
  templated: boolean;
}

export type EntryMetadata = Omit<Entry, 'format' | 'outputs' | 'createdAt' | 'seal'>;

export interface CommitOptions {
  /** Replace an entry already under the key (one found corrupt); otherwise the one there is kept. */
  overwrite?: boolean;
}

export interface StagedOutputs {
  dir: string;
  files: Array<{ name: string; mode: number; templated: boolean }>;
  /** Where each file was copied from and its identity then, so that commit can tell the memo its digest. */
  sources: Array<{ path: string; identity: string } | undefined>;
}

export interface FoundEntry {
  key: string;
  entry: Entry;
  dir: string;
  /** When the entry was last marked as used (entry.json's mtime). */
  usedMs: number;
  /**
   * Its blobs were written moments ago from bytes checked in memory against the digest recorded when
   * the entry was made (a remote hit, just imported): the copies a restore makes of them are not read
   * back for their digest. Set only for the requests that waited for that import, never by get.
   */
  checkedInMemory?: boolean;
}

/** What importEntry wrote: the bytes added, and each blob's file identity as written. */
export interface ImportedEntry {
  bytes: number;
  identities: string[];
}

/** A hit's files for the wrapper to write, and what the server learns once they are written. */
export interface RestorePlan {
  files: RestoreFile[];
  /** The entry the files come from. */
  key: string;
  /** Per file: the digest a copy of a blob has (undefined for a text). */
  digests: Array<string | undefined>;
  /** What the files add up to, for the statistics. */
  bytes: number;
}

export type Lookup = { status: 'hit'; found: FoundEntry } | { status: 'miss' } | { status: 'corrupt'; why: string };

/** An entry found damaged while a hit was planned: removed, counted, and the request compiles. */
export class CorruptEntry extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorruptEntry';
  }
}

/** How stale entry.json's mtime may be before a hit refreshes it: eviction order needs no finer grain. */
const TOUCH_INTERVAL_MS = 10 * 60_000;

/** A small text output (dep-info) that is already there as it would be written: left alone, like any output in place. */
function textInPlace(destination: string, text: string, mode: number): boolean {
  const info = statSync(destination, { throwIfNoEntry: false });
  if (!info || (info.mode & 0o777) !== mode || info.size !== Buffer.byteLength(text)) return false;
  try {
    return readFileSync(destination, 'utf8') === text;
  } catch {
    return false;
  }
}

function parseEntry(text: string): Entry | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 'entry.json is not JSON';
  }
  const result = entrySchema.safeParse(parsed);
  return result.success
    ? result.data
    : `entry.json does not match the entry format: ${result.error.issues[0]?.message ?? ''}`;
}

const writeAt = promisify(write);

/**
 * Writes `bytes` as a new file and gives its identity. The bytes in one write, in the thread pool
 * (writeFile would cut a large blob into many small writes, each a trip there and back); opening,
 * stat and close synchronously, which is cheaper than waiting for the pool behind decompressions.
 */
async function writeBlob(path: string, bytes: Buffer): Promise<string> {
  const fd = openSync(path, 'wx', cacheFileMode());
  try {
    let written = 0;
    while (written < bytes.length) {
      const { bytesWritten } = await writeAt(fd, bytes, written, bytes.length - written, written);
      written += bytesWritten;
    }
    return fileIdentity(fstatSync(fd, { bigint: true }));
  } finally {
    closeSync(fd);
  }
}

function uniqueSuffix(): string {
  return `${process.pid}-${randomBytes(6).toString('hex')}`;
}

/**
 * The local disk cache. An entry is a directory made in tmp/ and renamed into place whole, so a reader
 * never sees half of one; every read checks sizes and digests (a blob whose file identity is the one
 * recorded at commit is not hashed again, see verify). Least-recently-used entries are evicted past the limit.
 */
export class DiskStore {
  readonly entriesDir: string;
  readonly tmpDir: string;
  private readonly index = new Map<string, { bytes: number; lastUsed: number }>();
  /** entry.json files parsed: an entry, or why it is not one. */
  private readonly entries = new ParsedFiles<Entry | string>(parseEntry);
  /** Entries whose seal was checked: parsed once per file version, so checked once too. */
  private readonly sealed = new WeakSet<Entry>();
  private totalBytes = 0;
  private scanned: Promise<void> | undefined;

  constructor(
    readonly root: string,
    private readonly memo: DigestMemo,
  ) {
    this.entriesDir = join(root, 'entries');
    this.tmpDir = join(root, 'tmp');
  }

  /** Creates the directories and, in the background, measures what is already there. */
  async init(): Promise<void> {
    await mkdir(this.entriesDir, { recursive: true });
    await mkdir(this.tmpDir, { recursive: true });
    this.scanned = this.scan();
  }

  /** Measures the store without creating anything (for reading statistics with no server). */
  measure(): Promise<void> {
    this.scanned ??= this.scan();
    return this.scanned;
  }

  get sizeBytes(): number {
    return this.totalBytes;
  }

  get entryCount(): number {
    return this.index.size;
  }

  private entryDir(key: string): string {
    return join(this.entriesDir, key.slice(0, 2), key);
  }

  private async scan(): Promise<void> {
    let shards: string[] = [];
    try {
      shards = await readdir(this.entriesDir);
    } catch {
      return;
    }
    for (const shard of shards) {
      let keys: string[] = [];
      try {
        keys = await readdir(join(this.entriesDir, shard));
      } catch {
        continue;
      }
      for (const key of keys) {
        if (this.index.has(key)) continue;
        const measured = await this.measureEntry(this.entryDir(key));
        if (measured) this.remember(key, measured.bytes, measured.lastUsed);
      }
    }
  }

  private async measureEntry(dir: string): Promise<{ bytes: number; lastUsed: number } | undefined> {
    try {
      const names = await readdir(dir);
      let bytes = 0;
      let lastUsed = 0;
      for (const name of names) {
        const info = await stat(join(dir, name));
        bytes += info.size;
        if (name === 'entry.json') lastUsed = info.mtimeMs;
      }
      return { bytes, lastUsed };
    } catch {
      return undefined;
    }
  }

  private remember(key: string, bytes: number, lastUsed: number): void {
    const previous = this.index.get(key);
    if (previous) this.totalBytes -= previous.bytes;
    this.index.set(key, { bytes, lastUsed });
    this.totalBytes += bytes;
  }

  async get(key: string): Promise<Lookup> {
    const dir = this.entryDir(key);
    const read = await this.entries.read(join(dir, 'entry.json'));
    if (!read) return { status: 'miss' };
    const why =
      typeof read.value === 'string'
        ? read.value
        : (this.refused(key, read.value) ?? (await this.verifyBlobs(dir, read.value)));
    if (typeof why === 'string') {
      await this.remove(key);
      return { status: 'corrupt', why };
    }
    return { status: 'hit', found: { key, entry: why, dir, usedMs: read.modifiedMs } };
  }

  /** Why an entry must not be replayed (see refusal), checked once per version of its entry.json. */
  private refused(key: string, entry: Entry): string | undefined {
    if (this.sealed.has(entry)) return undefined;
    const why = refusal(key, entry);
    if (why === undefined) this.sealed.add(entry);
    return why;
  }

  /**
   * The entry, or why its blobs are not what it describes. Sizes only, and a digest where the identity
   * changed: the bytes themselves are checked against their digest as they are written.
   */
  private async verifyBlobs(dir: string, entry: Entry): Promise<Entry | string> {
    for (const [index, output] of entry.outputs.entries()) {
      const blob = join(dir, String(index));
      const info = statSync(blob, { bigint: true, throwIfNoEntry: false });
      if (!info) return `${output.name} is missing`;
      if (Number(info.size) !== output.size) return `${output.name} has ${info.size} bytes, expected ${output.size}`;
      // A blob nothing has rewritten since it was committed is what was hashed then; one that was
      // (or was copied, restored from a backup…) is hashed again.
      if (output.identity === fileIdentity(info)) continue;
      if ((await this.memo.digest(blob)) !== output.digest) return `${output.name} does not match its digest`;
    }
    return entry;
  }

  /**
   * Copies the outputs aside, as they are now. After this the compile's files may change or vanish
   * (cargo clean) without affecting the entry; hashing and committing can happen later.
   */
  async stage(outputs: OutputFile[], places: BuildPlaces): Promise<StagedOutputs> {
    const dir = join(this.tmpDir, `staged-${uniqueSuffix()}`);
    await mkdir(dir, { recursive: true });
    try {
      const files: StagedOutputs['files'] = [];
      const sources: StagedOutputs['sources'] = [];
      for (const [index, output] of outputs.entries()) {
        const blob = join(dir, String(index));
        const info = await stat(output.path, { bigint: true });
        if (output.templated) {
          await writeFile(blob, toTemplate(await readFile(output.path, 'utf8'), places));
          sources.push(undefined);
        } else {
          await copyFile(output.path, blob, constants.COPYFILE_FICLONE);
          // A copy keeps the output's mode (0755 for an executable); the entry records it, the blob is private.
          await chmod(blob, cacheFileMode());
          const after = await stat(output.path, { bigint: true });
          sources.push(
            fileIdentity(after) === fileIdentity(info)
              ? { path: output.path, identity: fileIdentity(info) }
              : undefined,
          );
        }
        files.push({ name: output.name, mode: Number(info.mode) & 0o777, templated: output.templated });
      }
      return { dir, files, sources };
    } catch (error) {
      await this.discard({ dir, files: [], sources: [] });
      throw error;
    }
  }

  /** Makes staged outputs the entry `key`. Returns the bytes added, 0 if the entry already existed. */
  async commit(
    key: string,
    staged: StagedOutputs,
    metadata: EntryMetadata,
    options: CommitOptions = {},
  ): Promise<number> {
    try {
      const described: Entry['outputs'] = [];
      for (const [index, file] of staged.files.entries()) {
        const blob = join(staged.dir, String(index));
        const info = await stat(blob, { bigint: true });
        // A dependent's key may have digested the original already (cargo starts dependents on the
        // rmeta): the blob is a copy of that very file (its identity did not change across the copy).
        // Then nothing is read again, and the entry records the digest of what the compiler wrote: a
        // copy gone wrong on its way into the store would fail every restore's check, not be served.
        const source = staged.sources[index];
        const remembered = source
          ? await this.memo.knownAs(source.path, source.identity)?.catch(() => undefined)
          : undefined;
        // One pass gives the key's digest and the restore check's (src/hash/blake3.ts).
        const digest = remembered ?? (await digestFile(blob, Number(info.size), true));
        // The crates that depend on this one digest the original as an extern: they need not hash it again.
        await this.rememberOriginal(source, digest);
        described.push({ ...file, size: Number(info.size), digest, identity: fileIdentity(info) });
      }
      return await this.publish(
        key,
        staged.dir,
        { format: ENTRY_FORMAT, outputs: described, createdAt: new Date().toISOString(), ...metadata },
        options,
      );
    } finally {
      await this.discard(staged);
    }
  }

  /** Seals the entry described, writes its entry.json into `dir` (which holds its blobs) and renames `dir` into place. */
  private async publish(
    key: string,
    dir: string,
    described: Omit<Entry, 'seal'>,
    options: CommitOptions,
  ): Promise<number> {
    const entry: Entry = { ...described, seal: sealOf(key, described) };
    const entryText = JSON.stringify(entry);
    // A few hundred bytes and a directory: synchronous, cheaper than trips through the thread pool,
    // where they would wait behind decompressions and large copies (a remote hit waits for them).
    writeFileSync(join(dir, 'entry.json'), entryText);
    const bytes = entry.outputs.reduce((sum, output) => sum + output.size, 0) + Buffer.byteLength(entryText);
    mkdirSync(join(this.entriesDir, key.slice(0, 2)), { recursive: true });
    if (!(await this.renameIntoPlace(key, dir, options))) return 0;
    this.remember(key, bytes, Date.now());
    // Renaming the directory leaves entry.json's identity as it was written.
    this.entries.remember(join(this.entryDir(key), 'entry.json'), entryText);
    return bytes;
  }

  /**
   * False when an intact entry is already there and is kept. One that is not intact (damaged in any
   * way, even under an unchanged file identity), or any with overwrite, is moved away first.
   */
  private async renameIntoPlace(key: string, dir: string, options: CommitOptions): Promise<boolean> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        renameSync(dir, this.entryDir(key));
        return true;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
        if (attempt > 2 || (!options.overwrite && (await this.exportEntry(key)) !== undefined)) return false;
        await this.remove(key);
      }
    }
  }

  /**
   * Writes an entry read from another level (already verified) as the local entry `key`. Returns the
   * bytes added (0 when an intact entry was kept) and the identities of the blobs as written.
   */
  async importEntry(key: string, content: EntryContent, options: CommitOptions = {}): Promise<ImportedEntry> {
    const dir = join(this.tmpDir, `imported-${uniqueSuffix()}`);
    mkdirSync(dir, { recursive: true });
    try {
      // Written side by side: each write is a trip through the thread pool, and a hit waits for all of them.
      const identities = await Promise.all(
        content.entry.outputs.map((_output, index) => writeBlob(join(dir, String(index)), content.blobs[index]!)),
      );
      const described = content.entry.outputs.map((output, index) => ({ ...output, identity: identities[index] }));
      const { seal: _seal, ...rest } = content.entry;
      const bytes = await this.publish(key, dir, { ...rest, outputs: described }, options);
      return { bytes, identities };
    } finally {
      // Renamed into place, normally: only what is left of a failed import is removed.
      if (existsSync(dir)) await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * The local entry `key` with its outputs' bytes, for another level (an upload), or undefined when
   * there is none or it is not what it says (each blob is checked against its digest: never upload bit rot).
   */
  async exportEntry(key: string): Promise<EntryContent | undefined> {
    const lookup = await this.get(key);
    if (lookup.status !== 'hit') return undefined;
    const { entry, dir } = lookup.found;
    const blobs: Buffer[] = [];
    for (const [index, output] of entry.outputs.entries()) {
      const bytes = await readFile(join(dir, String(index)));
      if (digestContent(bytes) !== output.digest) {
        await this.remove(key);
        return undefined;
      }
      blobs.push(bytes);
    }
    return { entry, blobs };
  }

  /** Tells the memo the digest of a staged file's original, if it is still the file that was staged. */
  private async rememberOriginal(source: StagedOutputs['sources'][number], digest: string): Promise<void> {
    if (!source) return;
    const info = await stat(source.path, { bigint: true }).catch(() => undefined);
    if (info && fileIdentity(info) === source.identity) this.memo.remember(source.path, info, digest);
  }

  async discard(staged: StagedOutputs): Promise<void> {
    await rm(staged.dir, { recursive: true, force: true });
  }

  /** Stores the outputs under `key` in one step. Returns the bytes written, 0 if it already existed. */
  async put(key: string, outputs: OutputFile[], metadata: EntryMetadata, places: BuildPlaces): Promise<number> {
    return this.commit(key, await this.stage(outputs, places), metadata);
  }

  /**
   * What a hit writes into outDir (see HitReply: the wrapper writes it): the entry's outputs, except
   * those already in place, and `overrides`, written instead of an output at the same path.
   */
  async planRestore(
    found: FoundEntry,
    places: BuildPlaces,
    overrides: readonly RestoreFile[] = [],
  ): Promise<RestorePlan> {
    const { outDir } = places;
    if (!statSync(outDir, { throwIfNoEntry: false })?.isDirectory()) await mkdir(outDir, { recursive: true });
    const plan: RestorePlan = { key: found.key, files: [], digests: [], bytes: 0 };
    const overridden = new Set(overrides.map((file) => file.path));
    for (const [index, output] of found.entry.outputs.entries()) {
      const blob = join(found.dir, String(index));
      const path = places.elsewhere?.[output.name] ?? join(outDir, output.name);
      if (overridden.has(path)) continue;
      if (output.templated) {
        // A dep-info of a few kilobytes, in the page cache: read synchronously, cheaper than a trip through the thread pool.
        // The server renders it, so the server checks it (the wrapper checks the copies).
        const bytes = readFileSync(blob);
        if (digestContent(bytes) !== output.digest) throw new CorruptEntry(`${output.name} does not match its digest`);
        const text = fromTemplate(bytes.toString('utf8'), places);
        if (textInPlace(path, text, output.mode)) continue;
        plan.files.push({ path, mode: output.mode, text });
        plan.digests.push(undefined);
        plan.bytes += Buffer.byteLength(text);
        continue;
      }
      // The file there is already this output (cargo re-ran a compile whose inputs did not change, after
      // a checkout or a touch): rewriting it would cost a copy and tell cargo that dependents are stale.
      if (await this.alreadyInPlace(path, output)) continue;
      // Bytes written from memory checked against the entry's digest count as checked: no read-back.
      plan.files.push(
        found.checkedInMemory
          ? { path, mode: output.mode, from: blob }
          : { path, mode: output.mode, from: blob, digest: output.digest },
      );
      plan.digests.push(output.digest);
      plan.bytes += output.size;
    }
    for (const file of overrides) {
      plan.files.push(file);
      plan.digests.push(undefined);
      plan.bytes += 'text' in file ? Buffer.byteLength(file.text) : 0;
    }
    this.touch(found);
    return plan;
  }

  /**
   * After the wrapper wrote a plan's files: each copy has its blob's digest, so crates that depend on
   * it need not hash it again. Told only for a file that is still the one the wrapper wrote.
   */
  restored(plan: RestorePlan, identities: readonly string[]): void {
    for (const [index, file] of plan.files.entries()) {
      const digest = plan.digests[index];
      if (digest === undefined || identities[index] === undefined) continue;
      const info = statSync(file.path, { bigint: true, throwIfNoEntry: false });
      if (info && fileIdentity(info) === identities[index]) this.memo.remember(file.path, info, digest);
    }
  }

  private async alreadyInPlace(destination: string, output: Entry['outputs'][number]): Promise<boolean> {
    const info = statSync(destination, { bigint: true, throwIfNoEntry: false });
    if (!info || (Number(info.mode) & 0o777) !== output.mode) return false;
    return (await this.memo.known(destination, info)) === output.digest;
  }

  /**
   * Marks the entry used, for eviction: in memory at once, and on disk (entry.json's mtime, which the
   * next server reads) when the mark there is older than TOUCH_INTERVAL_MS, not at every hit.
   */
  private touch(found: FoundEntry): void {
    const now = Date.now();
    const known = this.index.get(found.key);
    if (known) known.lastUsed = now;
    if (now - found.usedMs < TOUCH_INTERVAL_MS) return;
    const seconds = now / 1000;
    utimes(join(found.dir, 'entry.json'), seconds, seconds).catch(() => undefined);
  }

  async remove(key: string): Promise<void> {
    const known = this.index.get(key);
    if (known) {
      this.totalBytes -= known.bytes;
      this.index.delete(key);
    }
    this.entries.forget(join(this.entryDir(key), 'entry.json'));
    // Renamed away first so a concurrent reader never finds a half-deleted entry.
    const doomed = join(this.tmpDir, `removed-${key}.${uniqueSuffix()}`);
    try {
      await rename(this.entryDir(key), doomed);
    } catch {
      return;
    }
    await rm(doomed, { recursive: true, force: true });
  }

  /** Removes least-recently-used entries until the store is at most `targetBytes`. */
  async evict(targetBytes: number): Promise<{ removed: number; freedBytes: number }> {
    await this.scanned;
    let removed = 0;
    let freedBytes = 0;
    if (this.totalBytes <= targetBytes) return { removed, freedBytes };
    const oldestFirst = [...this.index.entries()].sort(([, a], [, b]) => a.lastUsed - b.lastUsed);
    for (const [key, { bytes }] of oldestFirst) {
      if (this.totalBytes <= targetBytes) break;
      await this.remove(key);
      removed += 1;
      freedBytes += bytes;
    }
    return { removed, freedBytes };
  }

  async clear(): Promise<void> {
    await this.scanned;
    for (const key of [...this.index.keys()]) await this.remove(key);
  }
}
