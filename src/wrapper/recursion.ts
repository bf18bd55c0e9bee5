import { realpathSync } from 'node:fs';
import { basename } from 'node:path';
import { INVOKED_AS_VARIABLE, NESTING_VARIABLE } from '../client/environment.js';

export { INVOKED_AS_VARIABLE, NESTING_VARIABLE };

/**
 * hoard legitimately runs inside a hoard-run process (`hoard cargo build` makes cargo run
 * `hoard rustc …`); this many levels is a loop whose calls change on the way.
 */
export const MAX_NESTING = 8;

const ONE_LINE_FIX = 'let cargo run hoard as the wrapper of the real compiler (RUSTC_WRAPPER=hoard, or CC="hoard cc")';

/** A name hoard is installed under: `hoard`, `hoard.cjs`, or a packager's `.hoard-wrapped`. */
function isHoardName(path: string): boolean {
  return basename(path).includes('hoard');
}

/**
 * Names a link to hoard may carry on purpose: cc-rs hands C compiles to RUSTC_WRAPPER only when it is
 * named like one of these, and people keep their sccache and ccache habits.
 */
const WRAPPER_NAMES = new Set(['buildcache', 'cachepot', 'ccache', 'distcc', 'icecc', 'kache', 'sccache']);

/** bin/hoard started through a link with a compiler's name. */
export function masqueradeMessage(env: NodeJS.ProcessEnv): string | undefined {
  const invokedAs = env[INVOKED_AS_VARIABLE];
  if (!invokedAs || isHoardName(invokedAs) || WRAPPER_NAMES.has(basename(invokedAs).replace(/\.exe$/, '')))
    return undefined;
  return `hoard: '${invokedAs}' is a link to hoard, and hoard is not a compiler; remove the link and ${ONE_LINE_FIX}.`;
}

/** 32-bit FNV-1a: a fingerprint of one call, cheap enough for every compile. */
function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(36);
}

export function callFingerprint(cwd: string, compiler: string, args: readonly string[]): string {
  return fingerprint(`${cwd}\0${compiler}\0${args.join('\0')}`);
}

/**
 * Why running `compiler` would come back to hoard, or undefined. Cheap checks only: the environment
 * left by an enclosing hoard, and for a compiler named by path, the file it resolves to.
 */
export function recursionMessage(compiler: string, call: string, env: NodeJS.ProcessEnv): string | undefined {
  const enclosing = env[NESTING_VARIABLE]?.split(' ').filter(Boolean) ?? [];
  if (enclosing.includes(call)) {
    return `hoard: '${compiler}' leads back to hoard with the same compile (a script, link or PATH entry that runs hoard again); stopped instead of recursing: ${ONE_LINE_FIX}.`;
  }
  if (enclosing.length >= MAX_NESTING) {
    return `hoard: ${enclosing.length} hoard calls nested inside each other (the last for '${compiler}'); a compiler that runs hoard again? ${ONE_LINE_FIX}.`;
  }
  if (compiler.includes('/')) {
    let resolved: string;
    try {
      // The C library's: Node's JavaScript realpath is slower (docs/decisions.md).
      resolved = realpathSync.native(compiler);
    } catch {
      return undefined; // Not there: running it reports that in the compiler's own words.
    }
    if (isHoardName(resolved)) {
      return `hoard: the compiler '${compiler}' is hoard itself (it resolves to ${resolved}); ${ONE_LINE_FIX}.`;
    }
  }
  return undefined;
}

/**
 * The environment of a compiler the wrapper runs, and of its request: the variables that are set,
 * marked with this call, rid of bin/hoard's note. One copy, on every compiler call.
 */
export function nestedEnvironment(env: NodeJS.ProcessEnv, call: string): Record<string, string> {
  const nested: Record<string, string> = {};
  for (const [name, value] of Object.entries(env))
    if (value !== undefined && name !== INVOKED_AS_VARIABLE) nested[name] = value;
  nested[NESTING_VARIABLE] = env[NESTING_VARIABLE] ? `${env[NESTING_VARIABLE]} ${call}` : call;
  return nested;
}
