import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { KeyHasher } from '../../hash/blake3.js';
import type { DigestMemo } from '../../hash/digest-memo.js';
import { CACHE_VERSION } from '../../hash/cache-version.js';
import type { RustCompile } from './args.js';
import { NO_RELOCATION, type Relocation } from '../../worktree/base-dir.js';

/*
 * The inputs of a rustc cache key. docs/architecture.md has the same numbered list; change both
 * together and bump CACHE_VERSION when an input is added, removed or hashed differently.
 *
 * Direct key (known before compiling, no rustc process needed):
 *  1. CACHE_VERSION.
 *  2. Compiler identity: `rustc -vV` and the digests of the sysroot's shared libraries.
 *  3. The arguments, in order, with @argfiles expanded, except:
 *     - `--out-dir`: where outputs go does not change them; outputs are restored to the caller's dir.
 *     - `-L` search paths: they only say where to find crates and libraries, whose contents are in 4/5.
 *     - the path half of `--extern name=path`: the file's contents are in 4.
 *  4. Each `--extern` crate: its name and the digest of its file.
 *  5. Each `-l` native library found in the `-L` directories: its name and digest.
 *  6. A target specification file (`--target foo.json`): its digest.
 *  7. Environment: every CARGO_* variable except the ones in EXCLUDED_CARGO_VARIABLES, and the
 *     variables in COMPILER_VARIABLES, sorted by name.
 *  8. The working directory: relative paths in arguments and diagnostics are relative to it.
 * Linked crates (binaries, build scripts, test harnesses, proc-macros, dylibs) also have (linker.ts):
 * 11. The linker: `-C linker` or `cc`, found on the request's PATH, by digest; for a gcc/clang driver
 *     also the `ld` it runs (`-print-prog-name=ld`), by digest.
 * 12. The libraries it can find: every library file in the `-L native=`/`-L all` directories, by
 *     digest; and each directory of the driver's own search path (`-print-search-dirs`: libc, crt
 *     objects, libgcc, system libraries) by its mtime, which a package install changes.
 * 13. The variables the C toolchain reads while linking (LINKER_VARIABLES), where set.
 * With a base directory (config `basedirs`), 3, 7 and 8 have it replaced by $BASEDIR, and the
 * `--remap-path-prefix=<base>=.` that hoard then adds to the compile is one more argument (3).
 *
 * Manifest (learnt from the first compile's dep-info, verified on every hit):
 *  9. Each source file the compiler read: its path and digest.
 * 10. Each environment variable read through env!/option_env!: its name and value (or absence).
 * The result key is the direct key plus 9 and 10. With a base directory, paths in 9 are kept with
 * $BASEDIR, and so is the value of OUT_DIR in 10 (see RELOCATABLE_ENV_DEPS), and any value in 10 that
 * is a path inside OUT_DIR or the profile directory (env-dep-relocation.ts).
 */

/**
 * env! values compared with the base directory stripped. OUT_DIR is read by the common
 * `include!(concat!(env!("OUT_DIR"), …))`, which uses the path and does not embed it; any other value
 * that names a worktree must match exactly, since the crate may embed it.
 */
export const RELOCATABLE_ENV_DEPS = ['OUT_DIR'] as const;

/** The argument hoard adds to a compile under a base directory, making its outputs path-independent. */
export function remapArgument(baseDir: string): string {
  return `--remap-path-prefix=${baseDir}=.`;
}

/** CARGO_* variables that do not affect what rustc produces, each with why. Sorted. */
export const EXCLUDED_CARGO_VARIABLES: ReadonlyArray<{ pattern: RegExp; why: string }> = [
  { pattern: /^CARGO_BUILD_JOBS$/, why: 'parallelism only' },
  { pattern: /^CARGO_ENCODED_RUSTFLAGS$/, why: 'the flags themselves are arguments (3)' },
  { pattern: /^CARGO_HOME$/, why: 'where cargo keeps its files; sources are hashed by content' },
  { pattern: /^CARGO_INCREMENTAL$/, why: 'cargo turns it into -C incremental, which is not cached' },
  { pattern: /^CARGO_MAKEFLAGS$/, why: 'jobserver file descriptors, different for every build' },
  { pattern: /^CARGO_REGISTRIES_/, why: 'registry locations and tokens; crates are hashed by content' },
  { pattern: /^CARGO_TARGET_DIR$/, why: 'where outputs go; see --out-dir' },
  { pattern: /^CARGO_TERM_/, why: 'terminal settings of cargo, not of rustc' },
];

/** Non-CARGO variables that change what rustc does. Sorted. */
export const COMPILER_VARIABLES = ['RUSTC_BOOTSTRAP'] as const;

export function keyedEnvironment(env: Record<string, string>): Array<[string, string]> {
  return Object.entries(env)
    .filter(([name]) =>
      name.startsWith('CARGO_') || name === 'CARGO'
        ? !EXCLUDED_CARGO_VARIABLES.some(({ pattern }) => pattern.test(name))
        : (COMPILER_VARIABLES as readonly string[]).includes(name),
    )
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Arguments that go into the key (input 3). */
export function keyedArguments(compile: RustCompile): string[] {
  const keyed: string[] = [];
  for (const option of compile.options) {
    if (option.name === '--out-dir' || option.name === '-L') continue;
    if (option.name === '--extern') {
      keyed.push(`--extern=${option.value!.split('=')[0]}`);
      continue;
    }
    keyed.push(option.value === undefined ? option.name : `${option.name}=${option.value}`);
  }
  keyed.push(`input=${compile.input}`);
  return keyed;
}

function findNativeLibrary(compile: RustCompile, cwd: string, name: string): string | undefined {
  const candidates = [`lib${name}.a`, `lib${name}.so`, `lib${name}.dylib`, `${name}.lib`];
  for (const { kind, path } of compile.searchPaths) {
    if (kind !== 'native' && kind !== 'all') continue;
    for (const candidate of candidates) {
      const full = resolve(cwd, path, candidate);
      if (existsSync(full)) return full;
    }
  }
  return undefined;
}

export interface DirectKeyInput {
  compile: RustCompile;
  compilerIdentity: string;
  cwd: string;
  env: Record<string, string>;
  memo: DigestMemo;
  relocation?: Relocation;
  /** Inputs 11-13, for linked crates. */
  linkInputs?: ReadonlyArray<readonly [label: string, value: string]>;
  explain?: boolean;
}

export async function directKey(
  input: DirectKeyInput,
): Promise<{ key: string; explanation: string; sections: ReadonlyArray<readonly [string, string]> }> {
  const { compile, cwd, env, memo } = input;
  const relocation = input.relocation ?? NO_RELOCATION;
  const hasher = new KeyHasher(input.explain);
  hasher.section('1 cache-version', String(CACHE_VERSION));
  hasher.section('2 compiler', input.compilerIdentity);
  for (const argument of keyedArguments(compile)) hasher.section('3 argument', relocation.strip(argument));
  if (relocation.baseDir) hasher.section('3 argument', relocation.strip(remapArgument(relocation.baseDir)));
  const externDigests = await Promise.all(
    compile.externs.map(async (extern) => (extern.path ? await memo.digest(resolve(cwd, extern.path)) : 'sysroot')),
  );
  for (const [index, extern] of compile.externs.entries())
    hasher.section('4 extern', `${extern.name} ${externDigests[index] ?? 'missing'}`);
  for (const library of compile.nativeLibraries) {
    const path = findNativeLibrary(compile, cwd, library.name);
    const digest = path ? await memo.digest(path) : 'not in -L (found by the linker later)';
    hasher.section('5 native-library', `${library.kind} ${library.name} ${digest}`);
  }
  if (compile.target?.endsWith('.json')) {
    const path = isAbsolute(compile.target) ? compile.target : join(cwd, compile.target);
    hasher.section('6 target-spec', (await memo.digest(path)) ?? 'missing');
  }
  for (const [name, value] of keyedEnvironment(env)) hasher.section('7 env', `${name}=${relocation.strip(value)}`);
  hasher.section('8 cwd', relocation.strip(cwd));
  for (const [label, value] of input.linkInputs ?? []) hasher.section(label, value);
  return { key: hasher.digest(), explanation: hasher.explanation(), sections: hasher.sections() };
}
