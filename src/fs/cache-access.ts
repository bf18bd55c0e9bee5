import { chmodSync, lstatSync } from 'node:fs';

/**
 * Who may read the cache: `private` (the default) is the user alone, `group` the user's group too, for
 * a team that shares one cache directory on purpose (docs/configuration.md says what that exposes).
 * The server sets its umask from it, so every directory and file it makes (entries, manifests, logs,
 * statistics, staging) is 0700/0600 (or 0770/0660) whatever umask its starter had; blobs, which are
 * copies that would keep the compiler output's mode, are given cacheFileMode() explicitly.
 */
/** The values of the config key cache_access (src/config/schema.ts). */
export type CacheAccess = 'private' | 'group';

let current: CacheAccess = 'private';

export function cacheFileMode(): number {
  return current === 'group' ? 0o660 : 0o600;
}

/**
 * Applies the access for this process and closes directories left open by earlier versions (0755, the
 * umask default): only a real directory of this user's own is changed, never through a link, never one
 * that belongs to someone else. Gives one note per directory changed.
 */
export function applyCacheAccess(access: CacheAccess, dirs: readonly string[]): string[] {
  current = access;
  process.umask(access === 'group' ? 0o007 : 0o077);
  const closedTo = access === 'group' ? 0o007 : 0o077;
  const notes: string[] = [];
  for (const dir of new Set(dirs)) {
    const info = lstatSync(dir, { throwIfNoEntry: false });
    if (!info?.isDirectory() || info.uid !== process.getuid?.() || (info.mode & closedTo) === 0) continue;
    const mode = info.mode & 0o777 & ~closedTo;
    chmodSync(dir, mode);
    notes.push(
      `${dir} was open to others (mode ${(info.mode & 0o777).toString(8)}); now ${mode.toString(8)} (cache_access = "${access}")`,
    );
  }
  return notes;
}
