import type { CcCompile } from './args.js';
import { OPTIONS_WITH_SEPARATE_VALUE } from './options.js';

/**
 * Options that would make a preprocessor run write files or do work of its own beyond the two files it
 * is told to write, or write text that does not determine the compile: options passed through to the
 * preprocessor or to clang's front end (`-Wp,-MD,x`, `-Xclang …`), clang's compilation database entry
 * (`-MJ`), modules, dependency rules alone (`-M`, `-MM`), output without line markers (`-P`), macro
 * dumps instead of text (`-dM`, `-dD`, … : every `-d` option), input already preprocessed. A compile with
 * one of them is not preprocessed by the cache.
 */
const UNSURE_UNDER_PREPROCESSING = [
  '-Wp,',
  '-Xpreprocessor',
  '-Xclang',
  '-MJ',
  '--analyze',
  '-fmodule',
  '-fcxx-modules',
  '-P',
  '-d',
  '-fpreprocessed',
  '-fdirectives-only',
];

export interface PreprocessPlaces {
  /** Where the preprocessed text goes. */
  output: string;
  /** Where the dependency file goes. */
  depFile: string;
  /** What the cache adds to the compile too (a path mapping changes what `__FILE__` expands to). */
  extraArgs: readonly string[];
}

/**
 * The arguments that preprocess what `compile` would compile and write the dependency file the compile
 * would write: the same arguments without `-c`, `-o` and `-MF`, with `-E`. Undefined when the cache
 * cannot be sure of that.
 *
 * With `-E` the dependency file's default target is the source's name, where a compile's is the `-o`
 * value as given (the gcc driver passes it as `-MQ`): pinned here the same way when the caller named no
 * target.
 */
export function preprocessArgs(compile: CcCompile, places: PreprocessPlaces): string[] | undefined {
  // Already preprocessed input: gcc -E writes nothing for it, and exits 0.
  if (
    compile.language === 'assembler' ||
    /\.(i|ii|mi|mii)$/.test(compile.source) ||
    compile.args.some((arg) => arg.endsWith('cpp-output'))
  )
    return undefined;
  const args: string[] = [];
  let objectAsGiven: string | undefined;
  const depKind = compile.depFile !== undefined;
  let targetGiven = false;
  for (let index = 0; index < compile.args.length; index += 1) {
    const arg = compile.args[index]!;
    if (UNSURE_UNDER_PREPROCESSING.some((prefix) => arg.startsWith(prefix))) return undefined;
    if (arg === '-c') continue;
    if (arg === '-o' || arg === '-MF') {
      if (arg === '-o') objectAsGiven = compile.args[index + 1];
      index += 1;
      continue;
    }
    if (arg.startsWith('-o')) {
      objectAsGiven = arg.slice(2);
      continue;
    }
    if (arg.startsWith('-MF')) continue;
    if (arg === '-M' || arg === '-MM') return undefined;
    if (arg.startsWith('-MT') || arg.startsWith('-MQ')) targetGiven = true;
    // The value of an option taking the next argument is copied as it is, whatever it looks like.
    if ((OPTIONS_WITH_SEPARATE_VALUE as readonly string[]).includes(arg)) {
      const value = compile.args[index + 1];
      if (value === undefined) return undefined;
      args.push(arg, value);
      index += 1;
      continue;
    }
    args.push(arg);
  }
  // Without a dependency file of the caller's, the cache asks for one to learn what was read.
  if (!depKind) args.push('-MD');
  if (depKind && !targetGiven && objectAsGiven !== undefined) args.push('-MQ', objectAsGiven);
  args.push(...places.extraArgs, '-E', '-o', places.output, '-MF', places.depFile);
  return args;
}
