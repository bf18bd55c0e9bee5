import { isAbsolute, resolve } from 'node:path';
import { notCacheable, type Classification } from '../classification.js';
import { linkedKindOf, type LinkedCrateKind } from './crate-kind.js';
import {
  LONG_FLAGS,
  LONG_OPTIONS_WITH_VALUE,
  LONG_TO_SHORT,
  SHORT_FLAGS,
  SHORT_OPTIONS_WITH_VALUE,
} from './options.js';

export interface RustcOption {
  /** Normalized name: `-C` for both `-C` and `--codegen`, `--emit`, `-v`. */
  name: string;
  value?: string;
}

export interface Extern {
  name: string;
  path?: string;
}

/** A call that compiles one crate, with what the cache needs to know about it. */
export interface RustCompile {
  /** The arguments with @argfiles expanded. */
  args: string[];
  options: RustcOption[];
  input: string;
  crateName: string;
  crateTypes: string[];
  emits: string[];
  /** Absolute. */
  outDir: string;
  extraFilename: string;
  externs: Extern[];
  searchPaths: Array<{ kind: string; path: string }>;
  nativeLibraries: Array<{ kind: string; name: string }>;
  target?: string;
  /** Set for crates rustc links (binaries, build scripts, test harnesses, proc-macros, dylibs): their keys name the linker too. */
  linkedKind?: LinkedCrateKind;
}

export type RustcClassification = Classification<RustCompile>;

const CACHEABLE_CRATE_TYPES = new Set(['bin', 'cdylib', 'dylib', 'lib', 'proc-macro', 'rlib', 'staticlib']);
const CACHEABLE_EMITS = new Set(['dep-info', 'link', 'metadata']);

export class UnknownArgument extends Error {}

/** Expands `@path` arguments the way rustc does: one argument per line of the file. */
export function expandArgfiles(args: readonly string[], cwd: string, readFile: (path: string) => string): string[] {
  const expanded: string[] = [];
  for (const arg of args) {
    if (arg.startsWith('@') && arg.length > 1) {
      const path = arg.slice(1);
      if (path.startsWith('shell:')) throw new UnknownArgument(`argfile ${arg}`);
      const text = readFile(isAbsolute(path) ? path : resolve(cwd, path));
      expanded.push(...text.split('\n').filter((line, index, lines) => line !== '' || index < lines.length - 1));
    } else {
      expanded.push(arg);
    }
  }
  return expanded;
}

/** Splits arguments into options and inputs. Throws UnknownArgument for anything it cannot read. */
export function tokenizeRustcArgs(args: readonly string[]): { options: RustcOption[]; inputs: string[] } {
  const options: RustcOption[] = [];
  const inputs: string[] = [];
  const longWithValue = new Set<string>(LONG_OPTIONS_WITH_VALUE);
  const longFlags = new Set<string>(LONG_FLAGS);
  const shortWithValue = new Set<string>(SHORT_OPTIONS_WITH_VALUE);
  const shortFlags = new Set<string>(SHORT_FLAGS);
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index]!;
    const takeValue = (name: string): string => {
      const value = args[index + 1];
      if (value === undefined) throw new UnknownArgument(`${name} without a value`);
      index += 1;
      return value;
    };
    if (arg === '-' || !arg.startsWith('-')) {
      inputs.push(arg);
    } else if (arg.startsWith('--')) {
      const equals = arg.indexOf('=');
      const name = equals === -1 ? arg : arg.slice(0, equals);
      const normalized = LONG_TO_SHORT[name] ?? name;
      if (longWithValue.has(name))
        options.push({ name: normalized, value: equals === -1 ? takeValue(name) : arg.slice(equals + 1) });
      else if (longFlags.has(arg)) options.push({ name: arg });
      else throw new UnknownArgument(arg);
    } else {
      const name = arg.slice(0, 2);
      if (shortWithValue.has(name)) {
        options.push({ name, value: arg.length > 2 ? arg.slice(2) : takeValue(name) });
      } else if ([...arg.slice(1)].every((letter) => shortFlags.has(`-${letter}`))) {
        for (const letter of arg.slice(1)) options.push({ name: `-${letter}` });
      } else {
        throw new UnknownArgument(arg);
      }
    }
  }
  return { options, inputs };
}

function codegenOption(options: RustcOption[], key: string): string | undefined {
  let found: string | undefined;
  for (const option of options) {
    if (option.name !== '-C' || option.value === undefined) continue;
    const [name, ...rest] = option.value.split('=');
    if (name === key) found = rest.join('=');
  }
  return found;
}

function hasCodegenOption(options: RustcOption[], key: string): boolean {
  return options.some(
    (option) => option.name === '-C' && option.value !== undefined && option.value.split('=')[0] === key,
  );
}

function parseExtern(value: string): Extern {
  const equals = value.indexOf('=');
  if (equals === -1) return { name: value };
  return { name: value.slice(0, equals), path: value.slice(equals + 1) };
}

/** `-l [KIND[:MODIFIERS]=]NAME[:RENAME]` */
function parseNativeLibrary(value: string): { kind: string; name: string } {
  const equals = value.indexOf('=');
  const kind = equals === -1 ? 'dylib' : value.slice(0, equals).split(':')[0]!;
  const name = (equals === -1 ? value : value.slice(equals + 1)).split(':')[0]!;
  return { kind, name };
}

function parseSearchPath(value: string): { kind: string; path: string } {
  const match = /^(dependency|crate|native|framework|all)=(.*)$/.exec(value);
  return match ? { kind: match[1]!, path: match[2]! } : { kind: 'all', path: value };
}

/**
 * `rustc -vV` (or `--version --verbose`): what cargo asks first after `cargo clean`, and a pure function
 * of the toolchain, so the server can answer it from the toolchain it already identified.
 */
export function isVerboseVersionQuery(args: readonly string[]): boolean {
  if (args.length === 1) return args[0] === '-vV' || args[0] === '-Vv';
  if (args.length !== 2) return false;
  const version = args.filter((arg) => arg === '-V' || arg === '--version').length;
  const verbose = args.filter((arg) => arg === '-v' || arg === '--verbose').length;
  return version === 1 && verbose === 1;
}

/**
 * Decides what a rustc call is: not a compilation (version queries, --print), a compilation the cache
 * will not take (with the reason), or a cacheable compile of one crate. `linkedCrates` are the kinds of
 * linked crate the configuration lets the cache take.
 */
export function classifyRustc(
  rawArgs: readonly string[],
  cwd: string,
  readFile: (path: string) => string,
  linkedCrates: readonly LinkedCrateKind[],
): RustcClassification {
  let args: string[];
  let tokens: { options: RustcOption[]; inputs: string[] };
  try {
    args = expandArgfiles(rawArgs, cwd, readFile);
  } catch (error) {
    return notCacheable('argfile', (error as Error).message);
  }
  try {
    tokens = tokenizeRustcArgs(args);
  } catch (error) {
    if (rawArgs.some((arg) => ['-V', '-vV', '--version', '--help', '-h'].includes(arg)))
      return { kind: 'not-compilation' };
    return notCacheable('unknown-argument', (error as Error).message);
  }
  const { options, inputs } = tokens;
  const has = (name: string): boolean => options.some((option) => option.name === name);
  const values = (name: string): string[] =>
    options.filter((option) => option.name === name).map((option) => option.value ?? '');

  if (['-V', '--version', '-h', '--help', '--explain', '--print'].some(has) || inputs.length === 0) {
    return { kind: 'not-compilation' };
  }
  if (inputs.length > 1) return notCacheable('multiple-inputs', inputs.join(' '));
  const input = inputs[0]!;
  if (input === '-') return notCacheable('stdin', 'source read from standard input');
  if (has('-o')) return notCacheable('output-file', '-o names the output file');
  if (has('--sysroot')) return notCacheable('sysroot', '--sysroot');
  if (hasCodegenOption(options, 'profile-generate') || hasCodegenOption(options, 'profile-use')) {
    return notCacheable('profile', 'profile-guided optimization');
  }
  if (hasCodegenOption(options, 'save-temps')) return notCacheable('save-temps', '-C save-temps');
  const splitDebuginfo = codegenOption(options, 'split-debuginfo');
  if (splitDebuginfo !== undefined && splitDebuginfo !== 'off')
    return notCacheable('split-debuginfo', `-C split-debuginfo=${splitDebuginfo}`);

  const isTest = has('--test');
  // A test harness is a binary whatever --crate-type says.
  const crateTypes = isTest ? ['bin'] : values('--crate-type').flatMap((value) => value.split(','));
  // Without --crate-type a #![crate_type] attribute in the source decides what is written: unknowable here.
  if (crateTypes.length === 0) return notCacheable('crate-type', 'no --crate-type (cargo always passes one)');
  const uncacheableType = crateTypes.find((type) => !CACHEABLE_CRATE_TYPES.has(type));
  if (uncacheableType) return notCacheable('crate-type', uncacheableType);
  const crateName = values('--crate-name').at(-1) ?? input.replace(/^.*\//, '').replace(/\.rs$/, '').replace(/-/g, '_');
  const linkedKind = linkedKindOf(crateTypes, crateName, isTest);
  if (linkedKind && !linkedCrates.includes(linkedKind))
    return notCacheable('linked-crate-off', `${linkedKind} is not in linked_crates`);

  // After the crate type: a binary is uncacheable whatever its flags, so it is counted as such.
  if (hasCodegenOption(options, 'incremental'))
    return notCacheable('incremental', 'incremental compilation (-C incremental)');

  const emitSpecs = values('--emit').flatMap((value) => value.split(','));
  const emits: string[] = [];
  for (const spec of emitSpecs.length === 0 ? ['link'] : emitSpecs) {
    const [kind, path] = spec.split('=');
    if (path !== undefined) return notCacheable('emit', `--emit ${spec} names its own path`);
    if (!CACHEABLE_EMITS.has(kind!)) return notCacheable('emit', `--emit ${kind}`);
    if (!emits.includes(kind!)) emits.push(kind!);
  }
  // The dep-info file is how the cache learns which sources and environment variables the crate read.
  if (!emits.includes('dep-info')) return notCacheable('missing-dep-info', 'no --emit dep-info');

  const outDirValue = values('--out-dir').at(-1);
  return {
    kind: 'cacheable',
    compile: {
      args,
      options,
      input,
      crateName,
      crateTypes,
      emits,
      outDir: resolve(cwd, outDirValue ?? '.'),
      extraFilename: codegenOption(options, 'extra-filename') ?? '',
      externs: values('--extern').map(parseExtern),
      searchPaths: values('-L').map(parseSearchPath),
      nativeLibraries: values('-l').map(parseNativeLibrary),
      ...(values('--target').length > 0 ? { target: values('--target').at(-1)! } : {}),
      ...(linkedKind ? { linkedKind } : {}),
    },
  };
}
