import type { BigIntStats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { digestFile } from './blake3.js';

/**
 * What says a file has not been rewritten: (device, inode, size, mtime, ctime). ctime is in it because
 * tools that restore mtimes (tar, git checkout of a cached blob, cp -p) cannot set it.
 */
export function fileIdentity(info: BigIntStats): string {
  return `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
}

/**
 * File digests remembered by (device, inode, size, mtime, ctime): a hit hashes nothing that did not
 * change (see fileIdentity).
 */
export class DigestMemo {
  private readonly digests = new Map<string, { identity: string; digest: Promise<string> }>();

  constructor(
    private readonly maxEntries = 200_000,
    private readonly hashFile: (path: string, knownSize?: number) => Promise<string> = digestFile,
  ) {}

  /** The file's digest, or undefined when it does not exist (absence is a valid manifest value). */
  async digest(path: string): Promise<string | undefined> {
    let info;
    try {
      info = await stat(path, { bigint: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
      throw error;
    }
    const identity = fileIdentity(info);
    const known = this.digests.get(path);
    if (known && known.identity === identity) return known.digest;
    const digest = this.hashFile(path, Number(info.size));
    digest.catch(() => this.digests.delete(path));
    this.set(path, identity, digest);
    return digest;
  }

  /** The digest remembered for the file if `info` still says it is the file that was digested; never hashes. */
  known(path: string, info: BigIntStats): Promise<string> | undefined {
    const known = this.digests.get(path);
    return known && known.identity === fileIdentity(info) ? known.digest : undefined;
  }

  /**
   * Records a digest known without reading the file: a blob restored from the cache, whose digest the
   * entry holds. `info` is the file's stat from when its content was known to be that.
   */
  remember(path: string, info: BigIntStats, digest: string): void {
    this.set(path, fileIdentity(info), Promise.resolve(digest));
  }

  private set(path: string, identity: string, digest: Promise<string>): void {
    if (this.digests.size >= this.maxEntries) this.digests.clear();
    this.digests.set(path, { identity, digest });
  }

  forget(path: string): void {
    this.digests.delete(path);
  }
}
