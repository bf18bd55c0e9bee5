import { basename, dirname } from 'node:path';
import { chooseBaseDir, relocationFor, type Relocation } from '../../worktree/base-dir.js';
import type { Worktree } from '../../worktree/locate.js';
import { RELOCATABLE_ENV_DEPS } from './key-inputs.js';

/*
 * Manifest paths and env! values under a base directory, for inputs 9 and 10 (key-inputs.ts). A
 * registry crate compiles with its own directory as working directory, so it has no base directory of
 * its own; but a build script of it writes files into the build's OUT_DIR, inside the worktree, and
 * may name them to the crate through `cargo:rustc-env` (typenum: `include!(env!("TYPENUM_BUILD_OP"))`).
 * Those paths are recorded relative to the base directory of the out-dir, so another worktree's build
 * finds its own generated files and its own values match.
 */

/** The relocation for the manifest: the compile's own, else the base directory its out-dir lies in. */
export function manifestRelocation(
  relocation: Relocation,
  basedirs: readonly string[],
  worktree: Worktree,
  outDir: string,
): Relocation {
  if (relocation.baseDir) return relocation;
  return relocationFor(chooseBaseDir(basedirs, worktree, outDir));
}

/** The profile directory of a build (`target/debug`), from a compile's out-dir (`…/deps` or `…/build/<unit>`). */
export function profileDirOf(outDir: string): string {
  if (basename(outDir) === 'deps') return dirname(outDir);
  if (basename(dirname(outDir)) === 'build') return dirname(dirname(outDir));
  return outDir;
}

function isUnder(path: string, directory: string | undefined): boolean {
  return directory !== undefined && directory.length > 1 && (path === directory || path.startsWith(`${directory}/`));
}

/**
 * How an env! value is recorded: OUT_DIR, and any value that is a path in the build's OUT_DIR or its
 * profile directory, relative to the base directory; any other value as it is (a crate may embed it).
 */
export function envDepRecorder(
  relocation: Relocation,
  outDir: string,
  env: Readonly<Record<string, string>>,
): (name: string, value: string | null) => string | null {
  const profileDir = profileDirOf(outDir);
  return (name, value) => {
    if (value === null || !relocation.baseDir) return value;
    if ((RELOCATABLE_ENV_DEPS as readonly string[]).includes(name)) return relocation.strip(value);
    return isUnder(value, env.OUT_DIR) || isUnder(value, profileDir) ? relocation.strip(value) : value;
  };
}
