import { readFile, stat } from 'node:fs/promises';
import { digestBytes, KeyHasher } from '../../hash/blake3.js';
import { CACHE_VERSION } from '../../hash/cache-version.js';
import type { CcCompile } from './args.js';
import type { CcCompilerIdentity } from './compiler-identity.js';
import { preprocessorOnlySpan } from './options.js';
import { NO_RELOCATION, type Relocation } from '../../worktree/base-dir.js';

/*
 * The inputs of a C/C++ cache key. docs/architecture.md has the same numbered list; change both
 * together and bump CACHE_VERSION when an input is added, removed or hashed differently.
 *
 * Direct key (known before compiling, no compiler process needed):
 *  1. CACHE_VERSION.
 *  2. Compiler identity: the driver's digest, its version line and target (`cc -E -v`).
 *  3. The arguments in order, except the object's path (`-o`): where the object goes does not change
 *     it. When a dependency file names the object (-MD/-MMD without -MT/-MQ), the `-o` value is kept.
 *     The dependency file's own path (-MF) is left out. The file names of the object and of the
 *     dependency file are kept: an entry restores its outputs under the names they were stored with;
 *     and whether the dependency file is beside the object (restored beside it) or elsewhere (kept as
 *     written, restored at the path the request names).
 *     With a base directory, the `-ffile-prefix-map=<base>=.` the cache adds comes last, and the base
 *     directory is written `$BASEDIR` in every argument.
 *  4. The working directory (`$BASEDIR/…` under a base directory): relative paths and the debug
 *     information's compilation directory.
 *  5. Environment the compiler reads: CC_VARIABLES, where set (the base directory written `$BASEDIR`).
 *  6. With -MMD (the dependency file leaves system headers out): each of the compiler's system include
 *     directories by its mtime, which a package install changes.
 * Manifest (from the compile's own dependency file, verified on every hit):
 *  7. Each file the preprocessor read (the source and every header): its path (`$BASEDIR/…` under a
 *     base directory) and digest.
 * The result key is the direct key plus 7, unless the compile was stored under its preprocessed key.
 * In 3 the values of `-D` are never relocated: a macro's value may be embedded as it is.
 *
 * Preprocessed key (on a direct miss, after running the preprocessor: `-E` with the same arguments,
 * without -c, -o and -MF; entries stored since then are stored under it, and the direct key's
 * manifest points to it):
 *  P1. CACHE_VERSION, and that this is a preprocessed key.
 *  P2. Compiler identity, as 2.
 *  P3. The arguments, as 3, without the options whose whole effect is in the preprocessed text
 *      (PREPROCESSOR_ONLY_OPTIONS in options.ts, with their reasons: -D, -U, -I, -include, -isystem, …).
 *  P4. The working directory, as 4, only when debug information is on (an argument -g… other than
 *      -g0): it is the compilation directory there; elsewhere the preprocessed text holds all it changes.
 *  P5. Environment, as 5.
 *  P6. What the preprocessor wrote to stderr (#warning, …): a compile's diagnostics are replayed
 *      (with the base directory as `$BASEDIR`; replayed diagnostics name the serving checkout).
 *  P7. The preprocessed text, byte for byte; under a base directory, the file names of its line
 *      markers (`# 12 "/w/a/x.h"`) are written `$BASEDIR/…` (the compile maps them out of the object),
 *      and nothing else is. Without debug information the file names of the line markers are left out
 *      (the source's own name is in P3): only debug information and `__builtin_FILE` take them into the
 *      object, `__FILE__` is already expanded in the text; so `-I` naming a copy of the same headers
 *      hits. Text that mentions `__builtin_FILE` keeps them.
 *
 * Shape key (P1–P5, without P6 and P7): what a preprocessed key is made of before the preprocessor
 * runs. The cache remembers each shape it has preprocessed; a compile of a shape never seen cannot be
 * found under a preprocessed key, so its preprocessor run waits until after the compile.
 */

/** Variables gcc and clang read that change what they produce or print. Sorted. */
export const CC_VARIABLES = [
  'CPATH',
  'CPLUS_INCLUDE_PATH',
  'C_INCLUDE_PATH',
  'GCC_COMPARE_DEBUG',
  'GCC_EXEC_PREFIX',
  'LANG',
  'LC_ALL',
  'LC_CTYPE',
  'LC_MESSAGES',
  'OBJC_INCLUDE_PATH',
  'SDKROOT',
  'SOURCE_DATE_EPOCH',
] as const;

/** What the cache adds to a compile under a base directory, so the outputs name no path inside it. */
export function filePrefixMapArgument(baseDir: string): string {
  return `-ffile-prefix-map=${baseDir}=.`;
}

export interface CcKeyOptions {
  /** The arguments the cache adds to the compile. */
  extraArgs?: readonly string[];
  relocation?: Relocation;
  explain?: boolean;
}

/** An argument as keyed: relocated, except a `-D` value (`-DDIR="/w/a"` may be embedded in the object). */
function keyedArguments(args: readonly string[], relocation: Relocation): string[] {
  return args.map((argument, index) =>
    argument.startsWith('-D') || args[index - 1] === '-D' ? argument : relocation.strip(argument),
  );
}

export async function ccDirectKey(
  compile: CcCompile,
  identity: CcCompilerIdentity,
  cwd: string,
  env: Record<string, string>,
  options: CcKeyOptions = {},
): Promise<{ key: string; explanation: string; sections: ReadonlyArray<readonly [string, string]> }> {
  const { extraArgs = [], relocation = NO_RELOCATION, explain = false } = options;
  const hasher = new KeyHasher(explain);
  hasher.section('1 cache-version', String(CACHE_VERSION));
  hasher.section('2 compiler', identity.digest);
  for (const argument of keyedArguments([...compile.keyedArgs, ...extraArgs], relocation))
    hasher.section('3 argument', argument);
  hasher.section('4 cwd', relocation.strip(cwd));
  for (const name of CC_VARIABLES)
    if (env[name] !== undefined) hasher.section('5 env', `${name}=${relocation.strip(env[name])}`);
  if (compile.userHeadersOnly) {
    for (const dir of identity.systemIncludeDirs) {
      const info = await stat(dir, { bigint: true }).catch(() => undefined);
      hasher.section('6 system-include-dir', `${dir} ${info ? `${info.ino}:${info.mtimeNs}` : 'absent'}`);
    }
  }
  return { key: hasher.digest(), explanation: hasher.explanation(), sections: hasher.sections() };
}

/** A line marker of preprocessed output, up to its file name's closing quote. */
const LINE_MARKER = /^# \d+ "(?:[^"\\\n]|\\.)*"/gm;

/** Whether the compile writes debug information (then its working directory is in the object). */
function writesDebugInfo(args: readonly string[]): boolean {
  let debug = false;
  for (const argument of args) if (/^-g/.test(argument)) debug = argument !== '-g0';
  return debug;
}

/** P3: the keyed arguments without the preprocessor-only options and their values. */
export function argumentsBeyondPreprocessor(args: readonly string[]): string[] {
  const kept: string[] = [];
  for (let index = 0; index < args.length; index += 1) {
    const span = preprocessorOnlySpan(args[index]!, args[index + 1]);
    if (span === 0) kept.push(args[index]!);
    else index += span - 1;
  }
  return kept;
}

/** Hashes P1–P5: the part of a preprocessed key known before the preprocessor runs. */
function hashShape(
  hasher: KeyHasher,
  compile: CcCompile,
  identity: CcCompilerIdentity,
  cwd: string,
  env: Record<string, string>,
  extraArgs: readonly string[],
  relocation: Relocation,
): void {
  hasher.section('P1 cache-version', `${CACHE_VERSION} preprocessed`);
  hasher.section('P2 compiler', identity.digest);
  for (const argument of keyedArguments(argumentsBeyondPreprocessor([...compile.keyedArgs, ...extraArgs]), relocation))
    hasher.section('P3 argument', argument);
  if (writesDebugInfo(compile.args)) hasher.section('P4 cwd', relocation.strip(cwd));
  for (const name of CC_VARIABLES)
    if (env[name] !== undefined) hasher.section('P5 env', `${name}=${relocation.strip(env[name])}`);
}

/** The shape key (see the list above): the same for every compile whose preprocessed key could be the same. */
export function ccShapeKey(
  compile: CcCompile,
  identity: CcCompilerIdentity,
  cwd: string,
  env: Record<string, string>,
  options: CcKeyOptions = {},
): string {
  const { extraArgs = [], relocation = NO_RELOCATION } = options;
  const hasher = new KeyHasher(false);
  hasher.section('S shape', 'preprocessed-key shape');
  hashShape(hasher, compile, identity, cwd, env, extraArgs, relocation);
  return hasher.digest();
}

/** Whether P7 keeps the file names of the line markers (see the list above). */
export function keepsLineMarkerNames(compile: CcCompile, text: string): boolean {
  return writesDebugInfo(compile.args) || text.includes('__builtin_FILE');
}

/** P7: the digest of the preprocessed text in `path`. */
export async function digestPreprocessed(path: string, relocation: Relocation, compile?: CcCompile): Promise<string> {
  // latin1 maps bytes to characters one to one: text in any encoding comes back unchanged.
  const text = (await readFile(path)).toString('latin1');
  const keepNames = compile === undefined || keepsLineMarkerNames(compile, text);
  if (keepNames && !relocation.baseDir) return digestBytes(Buffer.from(text, 'latin1'));
  const keyed = text.replace(LINE_MARKER, (marker) =>
    keepNames ? relocation.strip(marker) : `${marker.slice(0, marker.indexOf('"'))}""`,
  );
  return digestBytes(Buffer.from(keyed, 'latin1'));
}

export function ccPreprocessedKey(
  compile: CcCompile,
  identity: CcCompilerIdentity,
  cwd: string,
  env: Record<string, string>,
  preprocessed: { digest: string; stderr: string },
  options: CcKeyOptions = {},
): { key: string; explanation: string } {
  const { extraArgs = [], relocation = NO_RELOCATION, explain = false } = options;
  const hasher = new KeyHasher(explain);
  hashShape(hasher, compile, identity, cwd, env, extraArgs, relocation);
  hasher.section('P6 stderr', relocation.strip(preprocessed.stderr));
  hasher.section('P7 preprocessed', preprocessed.digest);
  return { key: hasher.digest(), explanation: hasher.explanation() };
}
