import type { BigIntStats } from 'node:fs';

/**
 * What says a file has not been rewritten: (device, inode, size, mtime, ctime). ctime is in it because
 * tools that restore mtimes (tar, git checkout of a cached blob, cp -p) cannot set it. The wrapper
 * reports the files it restores by it, so this module uses Node built-ins only.
 */
export function fileIdentity(info: BigIntStats): string {
  return `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
}
