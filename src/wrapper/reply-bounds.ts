import { lstatSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { RestoreFile } from '../protocol/messages.js';

/**
 * What a server's reply may make the wrapper do, checked against the compile's own arguments. The
 * rendezvous check (src/protocol/rendezvous.ts) keeps strangers from answering; these bounds keep a
 * reply that is wrong anyway (a bug, a stranger who got past it) from writing outside the compile's own
 * output locations or adding arguments that run something (gcc's `-wrapper`, `-fplugin`, rustc's
 * `-C linker`). Plain string work over the arguments: this runs on every hit.
 */
export interface OutputPlaces {
  /** Directories the compile writes into by name: rustc's `--out-dir`. */
  dirs: Set<string>;
  /** Files the compile writes by path: `-o`, `-MF`, the dependency file `-MD` puts beside `-o`, rustc's `--emit kind=path`. */
  files: Set<string>;
}

function flagValue(args: readonly string[], index: number, flag: string): string | undefined {
  const arg = args[index]!;
  if (arg === flag) return args[index + 1];
  if (flag.startsWith('--') && arg.startsWith(`${flag}=`)) return arg.slice(flag.length + 1);
  if (!flag.startsWith('--') && arg.startsWith(flag) && arg.length > flag.length) return arg.slice(flag.length);
  return undefined;
}

export function outputPlaces(cwd: string, args: readonly string[]): OutputPlaces {
  const places: OutputPlaces = { dirs: new Set(), files: new Set() };
  let output: string | undefined;
  let depBesideOutput = false;
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index]!;
    if (arg === '-MD' || arg === '-MMD') depBesideOutput = true;
    const outDir = flagValue(args, index, '--out-dir');
    if (outDir !== undefined) places.dirs.add(resolve(cwd, outDir));
    const file = flagValue(args, index, '-o');
    if (file !== undefined) output = resolve(cwd, file);
    const depFile = flagValue(args, index, '-MF');
    if (depFile !== undefined) places.files.add(resolve(cwd, depFile));
    const emit = flagValue(args, index, '--emit');
    if (emit !== undefined) {
      for (const kind of emit.split(',')) {
        const equals = kind.indexOf('=');
        if (equals !== -1) places.files.add(resolve(cwd, kind.slice(equals + 1)));
      }
    }
  }
  // Neither named: rustc writes into the working directory, and `cc -c x.c` writes ./x.o (and ./x.d).
  if (output === undefined && places.dirs.size === 0) places.dirs.add(resolve(cwd));
  if (output !== undefined) {
    places.files.add(output);
    // gcc and clang name the dependency file of -MD (without -MF) after the output, suffix replaced.
    if (depBesideOutput) places.files.add(`${output.replace(/\.[^./]*$/, '')}.d`);
  }
  return places;
}

/** Why a hit's files may not be written, or undefined when every one is in the compile's own places. */
export function filesOutsidePlaces(
  files: readonly RestoreFile[],
  cwd: string,
  places: OutputPlaces,
): string | undefined {
  for (const file of files) {
    const path = resolve(cwd, file.path);
    if ((file.mode ?? 0) & ~0o777) return `mode ${file.mode} for ${path}`;
    if (!places.files.has(path) && !places.dirs.has(dirname(path))) return `${path} is not an output of this compile`;
  }
  return undefined;
}

/** The base-directory remapping hoard adds (`--remap-path-prefix=<dir>=.`, `-ffile-prefix-map=<dir>=.`), for a directory containing cwd. */
function isOwnRemap(arg: string, cwd: string): boolean {
  for (const flag of ['--remap-path-prefix=', '-ffile-prefix-map=']) {
    if (!arg.startsWith(flag) || !arg.endsWith('=.')) continue;
    const dir = arg.slice(flag.length, -2);
    if (
      dir.startsWith('/') &&
      resolve(dir) === dir &&
      (cwd === dir || cwd.startsWith(dir.endsWith('/') ? dir : `${dir}/`))
    )
      return true;
  }
  return false;
}

/**
 * The server's own dependency file for a C compile that asked for none: `<cache>/tmp/cc-deps-<pid>-<n>.d`,
 * in a real directory (not a link) that is the user's own, or shared with a group on purpose (never
 * writable by everyone): the compiler must not be sent to write where someone else chose.
 */
function isOwnDepFile(path: string | undefined): boolean {
  if (path === undefined || !path.startsWith('/') || resolve(path) !== path) return false;
  if (!/^cc-deps-\d+-\d+\.d$/.test(basename(path)) || basename(dirname(path)) !== 'tmp') return false;
  const dir = lstatSync(dirname(path), { throwIfNoEntry: false });
  if (!dir?.isDirectory() || (dir.mode & 0o002) !== 0) return false;
  const uid = process.getuid?.();
  return uid === undefined || dir.uid === uid || (dir.mode & 0o020) !== 0;
}

/** Why the arguments a `run` reply adds may not be used, or undefined when they are all hoard's own. */
export function unexpectedExtraArgs(extraArgs: readonly string[], cwd: string): string | undefined {
  for (let index = 0; index < extraArgs.length; index += 1) {
    const arg = extraArgs[index]!;
    if (isOwnRemap(arg, cwd)) continue;
    if (arg === '-MD' && extraArgs[index + 1] === '-MF' && isOwnDepFile(extraArgs[index + 2])) {
      index += 2;
      continue;
    }
    return `the server asked to add the argument ${JSON.stringify(arg)}, which is not one hoard adds`;
  }
  return undefined;
}
