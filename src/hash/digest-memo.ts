import { stat } from 'node:fs/promises';
import { digestFile } from './blake3.js';

/**
 * File digests remembered by (device, inode, size, mtime, ctime): a hit hashes nothing that did not
 * change. ctime is in the identity because tools that restore mtimes (tar, git checkout of a cached
 * blob, cp -p) cannot set it.
 */
export class DigestMemo {
  private readonly digests = new Map<string, { identity: string; digest: Promise<string> }>();

  constructor(private readonly maxEntries = 200_000) {}

  /** The file's digest, or undefined when it does not exist (absence is a valid manifest value). */
  async digest(path: string): Promise<string | undefined> {
    let info;
    try {
      info = await stat(path, { bigint: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
      throw error;
    }
    const identity = `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
    const known = this.digests.get(path);
    if (known && known.identity === identity) return known.digest;
    const digest = digestFile(path);
    digest.catch(() => this.digests.delete(path));
    if (this.digests.size >= this.maxEntries) this.digests.clear();
    this.digests.set(path, { identity, digest });
    return digest;
  }

  forget(path: string): void {
    this.digests.delete(path);
  }
}
