import { statSync, type BigIntStats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { writeAtomically } from '../fs/write-atomically.js';
import { digestFile } from './blake3.js';
import { fileIdentity } from '../fs/file-identity.js';

/**
 * A file modified this recently may be written again within the same timestamp tick without its
 * identity changing: it is hashed, not remembered. The tick is the kernel's coarse clock (at most 10 ms)
 * where timestamps have nanoseconds, but a whole second or two where they do not (FAT, ext3, some
 * network filesystems), which a whole-second mtime suggests.
 */
export const TOO_FRESH_MS = 50;
/** digests.json's format: 3 since a file's digest is BLAKE3 again (format 2 held sha256 digests, never to be mixed with these). */
const MEMO_FORMAT = 3;
export const TOO_FRESH_COARSE_MS = 2000;

function tooFresh(info: BigIntStats): boolean {
  const coarse = info.mtimeNs % 1_000_000_000n === 0n;
  return Date.now() - Number(info.mtimeNs / 1_000_000n) < (coarse ? TOO_FRESH_COARSE_MS : TOO_FRESH_MS);
}

/**
 * Synchronous: microseconds, where a trip through libuv's thread pool costs more than the call, and a
 * hit checks every file of its manifest this way. Undefined when there is no such file.
 */
function statNow(path: string): BigIntStats | undefined {
  try {
    return statSync(path, { bigint: true, throwIfNoEntry: false });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/**
 * File digests remembered by (device, inode, size, mtime, ctime): a hit hashes nothing that did not
 * change (see fileIdentity).
 */
export class DigestMemo {
  private readonly digests = new Map<string, { identity: string; digest: Promise<string> }>();
  /** Settled digests, for saving: a pending one is not known yet. */
  private readonly settled = new Map<string, string>();

  constructor(
    private readonly maxEntries = 200_000,
    private readonly hashFile: (path: string, knownSize?: number) => Promise<string> = digestFile,
  ) {}

  /** The file's digest, or undefined when it does not exist (absence is a valid manifest value). */
  async digest(path: string): Promise<string | undefined> {
    const info = statNow(path);
    if (!info) return undefined;
    const identity = fileIdentity(info);
    const known = this.digests.get(path);
    if (known && known.identity === identity) return known.digest;
    const digest = this.hashFile(path, Number(info.size));
    if (tooFresh(info)) return digest;
    digest.catch(() => {
      if (this.digests.get(path)?.digest === digest) this.digests.delete(path);
    });
    this.set(path, identity, digest);
    return digest;
  }

  /**
   * The file's digest if it is known for the file as it is now, at once: null when the file does not
   * exist, undefined when it would have to be hashed first (or is being hashed). For a hit, which
   * checks every file of its manifest: a promise for each costs more than its stat.
   */
  digestNow(path: string): string | null | undefined {
    const info = statNow(path);
    if (!info) return null;
    return this.digests.get(path)?.identity === fileIdentity(info) ? this.settled.get(path) : undefined;
  }

  /** The digest remembered for the file if `info` still says it is the file that was digested; never hashes. */
  known(path: string, info: BigIntStats): Promise<string> | undefined {
    return this.knownAs(path, fileIdentity(info));
  }

  /** The digest remembered for the file if it was digested with this identity (fileIdentity). */
  knownAs(path: string, identity: string): Promise<string> | undefined {
    const known = this.digests.get(path);
    return known && known.identity === identity ? known.digest : undefined;
  }

  /**
   * Records a digest known without reading the file: a blob restored from the cache, whose digest the
   * entry holds. `info` is the file's stat from when its content was known to be that.
   */
  remember(path: string, info: BigIntStats, digest: string): void {
    this.set(path, fileIdentity(info), Promise.resolve(digest));
  }

  private set(path: string, identity: string, digest: Promise<string>): void {
    if (this.digests.size >= this.maxEntries) {
      this.digests.clear();
      this.settled.clear();
    }
    this.digests.set(path, { identity, digest });
    this.settled.delete(path);
    digest.then(
      (value) => {
        if (this.digests.get(path)?.digest === digest) this.settled.set(path, value);
      },
      () => undefined,
    );
  }

  /**
   * Saves what is known, so that a server started later (after an idle exit) hashes again only what
   * changed since: the same identity rule holds across restarts.
   */
  async save(file: string): Promise<void> {
    const known: Array<[path: string, identity: string, digest: string]> = [];
    for (const [path, digest] of this.settled) known.push([path, this.digests.get(path)!.identity, digest]);
    await writeAtomically(file, JSON.stringify({ format: MEMO_FORMAT, known }));
  }

  /** Loads what a previous server saved; a missing or unreadable file just means nothing is known. */
  async load(file: string): Promise<void> {
    let saved: unknown;
    try {
      saved = JSON.parse(await readFile(file, 'utf8'));
    } catch {
      return;
    }
    const known = (saved as { format?: unknown; known?: unknown }).known;
    if ((saved as { format?: unknown }).format !== MEMO_FORMAT || !Array.isArray(known)) return;
    for (const row of known.slice(0, this.maxEntries)) {
      if (!Array.isArray(row) || row.length !== 3 || !row.every((part) => typeof part === 'string')) continue;
      const [path, identity, digest] = row as [string, string, string];
      if (!this.digests.has(path)) this.set(path, identity, Promise.resolve(digest));
    }
  }

  forget(path: string): void {
    this.digests.delete(path);
    this.settled.delete(path);
  }
}
