import { basename, dirname, extname, isAbsolute, resolve } from 'node:path';
import { notCacheable, type Classification } from '../classification.js';
import { configureProbe } from './probe.js';
import { OPTIONS_WITH_SEPARATE_VALUE, OUTPUT_WRITING_PREFIXES, UNCACHEABLE_FLAGS } from './options.js';

export type CcLanguage = 'c' | 'c++' | 'assembler';

/** A call that compiles one C, C++ or assembler source to one object file, with what the cache needs. */
export interface CcCompile {
  args: string[];
  source: string;
  language: CcLanguage;
  /** Absolute path of the object file. */
  output: string;
  /** The dependency file the caller asked for (-MD/-MMD), absolute; the cache restores it too. */
  depFile?: string;
  /** -MMD: the caller's dependency file leaves out system headers. */
  userHeadersOnly: boolean;
  /** Arguments that go into the key: the object's path only when a dependency file names it. */
  keyedArgs: string[];
  /** The caller maps paths in the outputs itself (-ffile-prefix-map and the like): the cache adds no mapping of its own. */
  ownPrefixMap: boolean;
}

export type CcClassification = Classification<CcCompile>;

const LANGUAGE_BY_EXTENSION: Record<string, CcLanguage> = {
  '.C': 'c++',
  '.S': 'assembler',
  '.c': 'c',
  '.c++': 'c++',
  '.cc': 'c++',
  '.cp': 'c++',
  '.cpp': 'c++',
  '.cxx': 'c++',
  '.i': 'c',
  '.ii': 'c++',
  '.s': 'assembler',
};

const LANGUAGE_BY_X: Record<string, CcLanguage> = {
  assembler: 'assembler',
  'assembler-with-cpp': 'assembler',
  c: 'c',
  'c++': 'c++',
  'cpp-output': 'c',
  'c++-cpp-output': 'c++',
};

/** A C++ driver compiles a .c file as C++. */
export function isCxxDriver(compiler: string): boolean {
  return /(\+\+|^c\+\+|clang\+\+|g\+\+)(-[\d.]+)?$/.test(basename(compiler));
}

function takesSeparateValue(arg: string): boolean {
  return (OPTIONS_WITH_SEPARATE_VALUE as readonly string[]).includes(arg);
}

/**
 * Decides what a C/C++ compiler call is: not a compilation (--version, -dumpmachine), a call the
 * cache does not take (with the reason: linking, -E, -M alone, several sources, stdin, profiling…), or
 * a cacheable compile of one source to one object (-c).
 */
export function classifyCc(compiler: string, args: readonly string[], cwd: string): CcClassification {
  if (
    args.length === 0 ||
    args.some(
      (arg) =>
        ['--version', '-v', '--help', '-dumpversion', '-dumpfullversion', '-dumpmachine'].includes(arg) ||
        arg.startsWith('-print-'),
    )
  ) {
    return { kind: 'not-compilation' };
  }
  const sources: string[] = [];
  let output: string | undefined;
  let explicitDepFile: string | undefined;
  let language: CcLanguage | undefined;
  let compileOnly = false;
  let depKind: 'MD' | 'MMD' | undefined;
  let depTargetGiven = false;
  let makeRulesOnly = false;
  const keyedArgs: string[] = [];
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index]!;
    if (arg.startsWith('@')) return notCacheable('argfile', `${arg}: response files are not read by the cache yet`);
    if (arg === '-') return notCacheable('stdin', 'source read from standard input');
    if (!arg.startsWith('-')) {
      sources.push(arg);
      keyedArgs.push(arg);
      continue;
    }
    const uncacheable = UNCACHEABLE_FLAGS.find(([prefix]) => arg === prefix || arg.startsWith(prefix));
    if (uncacheable) return notCacheable(uncacheable[1], arg);
    if (OUTPUT_WRITING_PREFIXES.some((prefix) => arg.startsWith(prefix)))
      return notCacheable('unknown-argument', `${arg} writes files of its own`);
    if (takesSeparateValue(arg)) {
      const value = args[index + 1];
      if (value === undefined) return notCacheable('unknown-argument', `${arg} without a value`);
      index += 1;
      if (arg === '-o') output = value;
      else if (arg === '-MF') explicitDepFile = value;
      else {
        if (arg === '-x' && value !== 'none') {
          if (!(value in LANGUAGE_BY_X)) return notCacheable('language', `-x ${value}`);
          language = LANGUAGE_BY_X[value];
        }
        if (arg === '-MT' || arg === '-MQ') depTargetGiven = true;
        keyedArgs.push(arg, value);
      }
      continue;
    }
    if (arg.startsWith('-o')) {
      output = arg.slice(2);
      continue;
    }
    if (arg.startsWith('-MF')) {
      explicitDepFile = arg.slice(3);
      continue;
    }
    if (arg === '-c') compileOnly = true;
    else if (arg === '-MD') depKind = 'MD';
    else if (arg === '-MMD') depKind ??= 'MMD';
    else if (arg === '-M' || arg === '-MM') makeRulesOnly = true;
    else if (arg.startsWith('-MT') || arg.startsWith('-MQ')) depTargetGiven = true;
    else if (arg.startsWith('-x')) {
      const value = arg.slice(2);
      if (!(value in LANGUAGE_BY_X)) return notCacheable('language', arg);
      language = LANGUAGE_BY_X[value];
    }
    keyedArgs.push(arg);
  }
  if (makeRulesOnly && !depKind) return notCacheable('preprocess', '-M/-MM: dependency rules only');
  if (args.includes('-E')) return notCacheable('preprocess', '-E: preprocessing only');
  if (args.includes('-S')) return notCacheable('emit', '-S: assembly output');
  if (!compileOnly)
    return notCacheable('link', sources.length === 0 ? 'no source and no -c' : 'no -c: this call links');
  if (sources.length === 0) return { kind: 'not-compilation' };
  if (sources.length > 1) return notCacheable('multiple-inputs', sources.join(' '));
  const source = sources[0]!;
  const detected = language ?? LANGUAGE_BY_EXTENSION[extname(source)];
  if (!detected) return notCacheable('language', `no language known for ${basename(source)}`);
  const resolvedLanguage: CcLanguage = detected === 'c' && isCxxDriver(compiler) && !language ? 'c++' : detected;
  const probe = configureProbe(resolve(cwd, source));
  if (probe) return notCacheable('probe', probe);
  const outputPath = resolve(cwd, output ?? `${basename(source).replace(/\.[^.]+$/, '')}.o`);
  const depFile = depKind ? resolve(cwd, explicitDepFile ?? `${outputPath.replace(/\.[^./]+$/, '')}.d`) : undefined;
  // A dependency file names the object (unless -MT/-MQ does): then where it goes is part of what is produced.
  if (depFile && !depTargetGiven) keyedArgs.push(`-o=${output ?? ''}`);
  // An entry's outputs are restored under the names they were stored with: a compile to another name
  // is another entry (else `-o y.o` would be served by restoring x.o).
  keyedArgs.push(`-o name=${basename(outputPath)}`);
  // A dependency file beside the object is in the entry, restored beside it; one elsewhere is kept as
  // written and restored at the path asked for ('elsewhere-kept': entries made when it was not kept
  // are under other keys).
  if (depFile)
    keyedArgs.push(`-MF ${dirname(depFile) === dirname(outputPath) ? 'name' : 'elsewhere-kept'}=${basename(depFile)}`);
  return {
    kind: 'cacheable',
    compile: {
      args: [...args],
      source: isAbsolute(source) ? source : resolve(cwd, source),
      language: resolvedLanguage,
      output: outputPath,
      ...(depFile ? { depFile } : {}),
      userHeadersOnly: depKind === 'MMD',
      keyedArgs,
      ownPrefixMap: args.some((arg) => arg.includes('prefix-map')),
    },
  };
}
