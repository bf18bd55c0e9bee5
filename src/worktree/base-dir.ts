import { isAbsolute, resolve } from 'node:path';
import type { Worktree } from './locate.js';

export const BASE_TOKEN = '$BASEDIR';

/**
 * Paths under a base directory, written relative to it: what lets a compile in one worktree (or
 * checkout path) hit an entry made in another. Without a base directory both directions are identity.
 */
export interface Relocation {
  baseDir?: string;
  /** `/w/a/x` → `$BASEDIR/x` for every occurrence of the base directory as a whole path prefix. */
  strip(value: string): string;
  /** `$BASEDIR/x` → `/w/b/x`. */
  resolve(value: string): string;
}

/** Where a path a manifest recorded (relative to the base directory, or to the working directory) is now. */
export function currentPath(relocation: Relocation, cwd: string, recorded: string): string {
  const path = relocation.resolve(recorded);
  return isAbsolute(path) ? path : resolve(cwd, path);
}

export const NO_RELOCATION: Relocation = { strip: (value) => value, resolve: (value) => value };

export function relocationFor(baseDir: string | undefined): Relocation {
  if (!baseDir) return NO_RELOCATION;
  // A path prefix ends where a path component ends: at "/", at the end, or where a path in an argument
  // ends ("=" in --remap-path-prefix=, ":" in lists, quotes and white space).
  const occurrence = new RegExp(`${baseDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=[/=:"'\\s]|$)`, 'g');
  return {
    baseDir,
    strip: (value) => value.replace(occurrence, BASE_TOKEN),
    resolve: (value) => (value === BASE_TOKEN ? baseDir : value.split(`${BASE_TOKEN}/`).join(`${baseDir}/`)),
  };
}

/**
 * The configured base directory that contains the working directory (the longest, if several do).
 * `auto` stands for the root of the worktree the request belongs to.
 */
export function chooseBaseDir(configured: readonly string[], worktree: Worktree, cwd: string): string | undefined {
  const candidates = configured
    .map((entry) => (entry === 'auto' ? worktree.root : entry))
    .filter((entry) => entry.length > 1)
    .map((entry) => entry.replace(/\/+$/, ''));
  const containing = candidates.filter((base) => cwd === base || cwd.startsWith(`${base}/`));
  return containing.sort((a, b) => b.length - a.length)[0];
}
