import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { isHoard } from './cargo-settings.js';
import type { Check, DoctorFacts } from './doctor-checks.js';

type Env = Record<string, string | undefined>;

/*
 * Which compilers go through hoard here: cargo (checked in doctor-checks.ts), make-style CC/CXX
 * wrappers, and a CMake build directory's compiler launcher. A set-up that does not apply (no C
 * variables, no CMake build here, no Cargo.toml) is "not used here", never a failure; nothing at all
 * going through hoard is.
 */

/** What `hoard doctor` finds about C and C++ compilers, gathered by compilerFacts. */
export interface CompilerFacts {
  /** CC and CXX as set in this shell. */
  variables: Partial<Record<'CC' | 'CXX', string>>;
  /** The CMakeCache.txt of the current directory, when it is a CMake build directory. */
  cmake?: {
    file: string;
    launchers: Partial<Record<'C' | 'CXX', string>>;
    compilers: Partial<Record<'C' | 'CXX', string>>;
  };
  /** A Cargo.toml in the current directory or above it. */
  cargoProject: boolean;
}

/** The first word of a CC-style value: `hoard gcc` → hoard, `ccache cc` → ccache. */
function firstWord(value: string): string {
  return value.trim().split(/\s+/)[0] ?? '';
}

function throughHoard(value: string, env: Env): boolean {
  const word = firstWord(value);
  return word !== '' && isHoard({ value: word, from: 'environment' }, env);
}

function cacheEntry(text: string, name: string): string | undefined {
  const match = new RegExp(`^${name}:[A-Z]+=(.*)$`, 'm').exec(text);
  return match?.[1]?.trim() || undefined;
}

function findUp(start: string, name: string): boolean {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    if (existsSync(join(dir, name))) return true;
    if (dirname(dir) === dir) return false;
  }
}

export function compilerFacts(cwd: string, env: Env): CompilerFacts {
  const variables: CompilerFacts['variables'] = {};
  for (const name of ['CC', 'CXX'] as const) if (env[name]?.trim()) variables[name] = env[name]!.trim();
  const file = join(cwd, 'CMakeCache.txt');
  let cmake: CompilerFacts['cmake'];
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8');
    const launchers: NonNullable<CompilerFacts['cmake']>['launchers'] = {};
    const compilers: NonNullable<CompilerFacts['cmake']>['compilers'] = {};
    for (const language of ['C', 'CXX'] as const) {
      const launcher = cacheEntry(text, `CMAKE_${language}_COMPILER_LAUNCHER`);
      if (launcher) launchers[language] = launcher;
      const compiler = cacheEntry(text, `CMAKE_${language}_COMPILER`);
      if (compiler) compilers[language] = compiler;
    }
    cmake = { file, launchers, compilers };
  }
  return { variables, ...(cmake ? { cmake } : {}), cargoProject: findUp(cwd, 'Cargo.toml') };
}

const INIT_CC = "'hoard init --cc' prints the lines to add";

/** CC and CXX: make, autotools and Meson read them. */
export function ccVariablesCheck(facts: DoctorFacts): Check {
  const id = 'cc';
  const variables = Object.entries(facts.compilers?.variables ?? {});
  if (variables.length === 0)
    return {
      id,
      status: 'info',
      message: `not used here: CC and CXX are unset (make, autotools and Meson use them; ${INIT_CC}).`,
    };
  const through = variables.filter(([, value]) => throughHoard(value, facts.env));
  const other = variables.filter(([, value]) => !throughHoard(value, facts.env));
  const shown = (list: [string, string][]) =>
    list.map(([name, value]) => `${name}=${JSON.stringify(value)}`).join(', ');
  if (other.length === 0)
    return {
      id,
      status: 'ok',
      message: `${shown(through)}: C and C++ compiles of make, autotools and Meson go through hoard.`,
    };
  return {
    id,
    status: 'info',
    message: `${shown(other)} ${other.length === 1 ? 'does' : 'do'} not go through hoard${through.length ? ` (${shown(through)} does)` : ''}: ${other.map(([name, value]) => `export ${name}="hoard ${firstWord(value)}"`).join(', ')} to cache them.`,
  };
}

/** A CMake build directory: its compiler launcher, or a compiler that is hoard itself. */
export function cmakeCheck(facts: DoctorFacts): Check {
  const id = 'cmake';
  const cmake = facts.compilers?.cmake;
  if (!cmake)
    return {
      id,
      status: 'info',
      message:
        'not used here: no CMakeCache.txt in this directory (run hoard doctor in a CMake build directory to check its launcher).',
    };
  const languages = (['C', 'CXX'] as const).filter(
    (language) => cmake.compilers[language] !== undefined || cmake.launchers[language] !== undefined,
  );
  const through = languages.filter(
    (language) =>
      (cmake.launchers[language] && throughHoard(cmake.launchers[language]!, facts.env)) ||
      (cmake.compilers[language] && throughHoard(cmake.compilers[language]!, facts.env)),
  );
  const missing = languages.filter((language) => !through.includes(language));
  if (languages.length > 0 && missing.length === 0)
    return {
      id,
      status: 'ok',
      message: `this CMake build compiles ${through.join(' and ')} through hoard (${cmake.file}).`,
    };
  const flags = (missing.length ? missing : ['C', 'CXX'])
    .map((language) => `-DCMAKE_${language}_COMPILER_LAUNCHER=hoard`)
    .join(' ');
  return {
    id,
    status: 'info',
    message: `this CMake build does not go through hoard${through.length ? ` for ${missing.join(' and ')}` : ''}: 'cmake ${flags} .' here sets the launcher.`,
  };
}

/** Whether anything goes through hoard here: cargo, CC/CXX, or this CMake build. */
export function anythingThroughHoard(facts: DoctorFacts): boolean {
  return facts.wrapperIsHoard || ccVariablesCheck(facts).status === 'ok' || cmakeCheck(facts).status === 'ok';
}

/** Whether cargo's checks apply: a cargo wrapper is set, or there is a Cargo.toml here, or nothing else uses hoard. */
export function cargoApplies(facts: DoctorFacts): boolean {
  if (!facts.compilers) return true;
  return facts.wrapper !== undefined || facts.compilers.cargoProject || !anythingThroughHoard(facts);
}

export function compilerChecks(facts: DoctorFacts): Check[] {
  if (!facts.compilers) return [];
  return [ccVariablesCheck(facts), cmakeCheck(facts)];
}
