import { readFileSync } from 'node:fs';
import { digestContent, digestFileHere } from './file-digest.js';
import { HashWorkers } from './hash-workers.js';

export { digestContent, digestFileHere, digestFileSync } from './file-digest.js';

/**
 * The only place that hashes (with src/fs/content-hash.ts, which the wrapper's copies share). Keys, file
 * digests and entry verification all go through here, so the algorithm can change in one place (and
 * bumps CACHE_VERSION when it does).
 *
 * Everything is BLAKE3. A file's digest names it in a key (an extern, a source, a toolchain library) and
 * checks every restored copy of it (the entry's `digest`), so an output is read and hashed once when it
 * is stored, and the hash of a restore's copy is the larger part of a hit's cost: the native addon
 * hashes at about twice the speed of OpenSSL's sha256 here (docs/decisions.md).
 */
export function digestBytes(data: Uint8Array | string): string {
  return digestContent(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
}

/** Files up to this size are read and hashed in one call; larger ones in chunks, so that hashing (synchronous)
 * never holds the server's event loop for more than a few milliseconds while other wrappers wait. */
const READ_WHOLE_BYTES = 1024 * 1024;

/** Larger files go to a hashing thread, when the process has them (useHashWorkers): the event loop only hashes what takes a few ms. */
const WORKER_MIN_BYTES = READ_WHOLE_BYTES;
let workers: { now: HashWorkers; background: HashWorkers } | undefined;

/**
 * Large files are hashed in threads running `script` (dist/hash-worker.mjs) from now on: `size` of
 * them for what a request waits on (keys), and one at a low priority for what nobody waits on (the
 * outputs being stored), so that storing a cold build's outputs takes idle CPU, not the compilers'.
 */
export function useHashWorkers(script: URL, size: number): { close(): Promise<void> } {
  const pools = { now: new HashWorkers(script, size), background: new HashWorkers(script, 1, { nice: 10 }) };
  workers = pools;
  return { close: async () => void (await Promise.all([pools.now.close(), pools.background.close()])) };
}

/**
 * `knownSize`, when the caller has just stat-ed the file, picks the cheaper way to read it.
 * `background`: no request waits for this digest.
 */
export async function digestFile(path: string, knownSize?: number, background = false): Promise<string> {
  // Read synchronously: a file this small is mostly in the page cache (a compile just read or wrote
  // it), and readFile's trips through the thread pool (open, stat, read, close) cost more CPU than the read.
  if (knownSize !== undefined && knownSize <= READ_WHOLE_BYTES) return digestContent(readFileSync(path));
  if (workers && knownSize !== undefined && knownSize > WORKER_MIN_BYTES) {
    try {
      return await (background ? workers.background : workers.now).digest(path);
    } catch (error) {
      // A missing file is missing on this thread too; anything else about the thread is not the caller's problem.
      if ((error as NodeJS.ErrnoException).code) throw error;
    }
  }
  return digestFileHere(path);
}

/**
 * Builds a key from labelled sections. Each section is framed by its label and length so that
 * ("ab","c") and ("a","bc") cannot collide. With `explain`, the sections are kept as text: a diff of
 * two explanations says why two keys differ.
 */
export class KeyHasher {
  /**
   * The framed sections, hashed in one call by digest(): the same bytes as hashing each as it comes,
   * without a trip into the hashing module for every one (a key has dozens, and every request makes one).
   */
  private readonly framed: string[] = [];
  private readonly lines: string[] | undefined;
  /** The sections as given, for explaining a miss (src/why/): the strings exist anyway, this keeps pairs of them. */
  private readonly labelled: Array<readonly [string, string]> = [];

  constructor(explain = false) {
    this.lines = explain ? [] : undefined;
  }

  /** `label` is an ASCII constant: a value's trailing surrogate can then never pair across a boundary. */
  section(label: string, value: string): this {
    this.framed.push(`${label}\0${Buffer.byteLength(value, 'utf8')}\0${value}`);
    this.lines?.push(`${label}: ${value}`);
    this.labelled.push([label, value]);
    return this;
  }

  digest(): string {
    return digestBytes(Buffer.from(this.framed.join(''), 'utf8'));
  }

  sections(): ReadonlyArray<readonly [label: string, value: string]> {
    return this.labelled;
  }

  explanation(): string {
    return (this.lines ?? []).join('\n');
  }
}
