import { stat } from 'node:fs/promises';
import { KeyHasher } from '../../hash/blake3.js';
import { CACHE_VERSION } from '../../hash/cache-version.js';
import type { CcCompile } from './args.js';
import type { CcCompilerIdentity } from './compiler-identity.js';
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
 *     The dependency file's own path (-MF) is left out. With a base directory, the
 *     `-ffile-prefix-map=<base>=.` the cache adds comes last, and the base directory is written
 *     `$BASEDIR` in every argument.
 *  4. The working directory (`$BASEDIR/…` under a base directory): relative paths and the debug
 *     information's compilation directory.
 *  5. Environment the compiler reads: CC_VARIABLES, where set (the base directory written `$BASEDIR`).
 *  6. With -MMD (the dependency file leaves system headers out): each of the compiler's system include
 *     directories by its mtime, which a package install changes.
 * Manifest (from the compile's own dependency file, verified on every hit):
 *  7. Each file the preprocessor read (the source and every header): its path (`$BASEDIR/…` under a
 *     base directory) and digest.
 * The result key is the direct key plus 7.
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

export async function ccDirectKey(compile: CcCompile, identity: CcCompilerIdentity, cwd: string, env: Record<string, string>, options: CcKeyOptions = {}): Promise<{ key: string; explanation: string }> {
  const { extraArgs = [], relocation = NO_RELOCATION, explain = false } = options;
  const hasher = new KeyHasher(explain);
  hasher.section('1 cache-version', String(CACHE_VERSION));
  hasher.section('2 compiler', identity.digest);
  for (const argument of [...compile.keyedArgs, ...extraArgs]) hasher.section('3 argument', relocation.strip(argument));
  hasher.section('4 cwd', relocation.strip(cwd));
  for (const name of CC_VARIABLES) if (env[name] !== undefined) hasher.section('5 env', `${name}=${relocation.strip(env[name])}`);
  if (compile.userHeadersOnly) {
    for (const dir of identity.systemIncludeDirs) {
      const info = await stat(dir, { bigint: true }).catch(() => undefined);
      hasher.section('6 system-include-dir', `${dir} ${info ? `${info.ino}:${info.mtimeNs}` : 'absent'}`);
    }
  }
  return { key: hasher.digest(), explanation: hasher.explanation() };
}
