/*
 * What differs between two compiles of the same unit, input by input. The inputs are the labelled
 * sections of the direct key (src/compiler/rustc/key-inputs.ts, src/compiler/cc/key-inputs.ts: "3
 * argument", "4 extern", …) and the manifest's sources and env! values. Pure: no IO.
 */

/** Why a miss missed, one per miss (the most telling difference's). */
export const MISS_CAUSES = [
  'first-build',
  'toolchain',
  'location',
  'features',
  'arguments',
  'environment',
  'sources',
  'dependencies',
  'linker',
  'evicted',
] as const;
export type MissCause = (typeof MISS_CAUSES)[number];

/** How each cause reads in one line. */
export const CAUSE_TITLES: Record<MissCause, string> = {
  'first-build': 'first build of this unit',
  toolchain: 'another compiler',
  location: 'another checkout path',
  features: 'features changed',
  arguments: 'arguments changed',
  environment: 'environment changed',
  sources: 'sources changed',
  dependencies: 'a dependency changed',
  linker: 'the linker or a native library changed',
  evicted: 'no input changed: the entry was removed (evicted, or never stored)',
};

export interface Difference {
  cause: Exclude<MissCause, 'first-build' | 'evicted'>;
  /** Which kind of input: compiler, argument, feature, env, env-dep, extern, source, native-library, linker, cwd, base-directory, … */
  input: string;
  /** Which one: the argument's option, the variable's name, the --extern's crate, the file's path. */
  name: string;
  /** null: absent on that side. */
  old: string | null;
  new: string | null;
  /** What other differences cause (cargo's hash of the settings: `-C metadata`, unit directories): named only when nothing else differs. */
  derived?: true;
}

export type Section = readonly [label: string, value: string];

/** The part of a label after its number: "3 argument" → "argument", "P3 argument" → "argument". */
function kindOf(label: string): string {
  const space = label.indexOf(' ');
  return space === -1 ? label : label.slice(space + 1);
}

/** cargo's own hashes of the other settings: they change with a feature or a flag and say nothing more. */
function isDerivedArgument(argument: string): boolean {
  return /^-C=(metadata|extra-filename)=/.test(argument) || /^-C(metadata|extra-filename)=/.test(argument);
}

/** `--cfg=feature="std"` → `std`. */
function featureOf(argument: string): string | undefined {
  return /^--cfg=feature="(.*)"$/.exec(argument)?.[1];
}

/** What pairs an argument's old and new value: the option (`-C=opt-level`), or the whole argument. */
function argumentKey(argument: string): string {
  const codegen = /^(-[CZ]=[^=]+)=/.exec(argument);
  if (codegen) return codegen[1]!;
  if (argument.startsWith('--cfg=') || argument.startsWith('-D') || argument.startsWith('-U')) {
    const define = /^(-D[^=]*)=/.exec(argument);
    return define ? define[1]! : argument;
  }
  const equals = argument.indexOf('=');
  return equals > 0 ? argument.slice(0, equals) : argument;
}

/** How an argument is shown: as on a command line (`-C opt-level=3`, not `-C=opt-level=3`). */
export function shownArgument(argument: string): string {
  return argument.replace(/^(-[CZ])=/, '$1 ').replace(/^input=/, '');
}

function multisetMinus(a: readonly string[], b: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const value of b) counts.set(value, (counts.get(value) ?? 0) + 1);
  const left: string[] = [];
  for (const value of a) {
    const count = counts.get(value) ?? 0;
    if (count > 0) counts.set(value, count - 1);
    else left.push(value);
  }
  return left;
}

function argumentDifferences(old: readonly string[], now: readonly string[]): Difference[] {
  const removed = multisetMinus(old, now);
  const added = multisetMinus(now, old);
  const differences: Difference[] = [];
  const addedByKey = new Map<string, string[]>();
  for (const argument of added) {
    const key = argumentKey(argument);
    addedByKey.set(key, [...(addedByKey.get(key) ?? []), argument]);
  }
  const push = (difference: Difference, argument: string): void =>
    void differences.push(isDerivedArgument(argument) ? { ...difference, derived: true } : difference);
  for (const argument of removed) {
    const feature = featureOf(argument);
    if (feature !== undefined) {
      differences.push({ cause: 'features', input: 'feature', name: feature, old: 'on', new: 'off' });
      continue;
    }
    if (/^--remap-path-prefix=\$BASEDIR=/.test(argument)) {
      differences.push({
        cause: 'location',
        input: 'base-directory',
        name: 'base directory mapping',
        old: shownArgument(argument),
        new: null,
      });
      continue;
    }
    const key = argumentKey(argument);
    const partner = addedByKey.get(key)?.shift();
    if (partner !== undefined)
      push(
        {
          cause: 'arguments',
          input: 'argument',
          name: shownArgument(key),
          old: shownArgument(argument),
          new: shownArgument(partner),
        },
        argument,
      );
    else
      push(
        { cause: 'arguments', input: 'argument', name: shownArgument(key), old: shownArgument(argument), new: null },
        argument,
      );
  }
  for (const rest of addedByKey.values()) {
    for (const argument of rest) {
      const feature = featureOf(argument);
      if (feature !== undefined)
        differences.push({ cause: 'features', input: 'feature', name: feature, old: 'off', new: 'on' });
      else if (/^--remap-path-prefix=\$BASEDIR=/.test(argument))
        differences.push({
          cause: 'location',
          input: 'base-directory',
          name: 'base directory mapping',
          old: null,
          new: shownArgument(argument),
        });
      else
        push(
          {
            cause: 'arguments',
            input: 'argument',
            name: shownArgument(argumentKey(argument)),
            old: null,
            new: shownArgument(argument),
          },
          argument,
        );
    }
  }
  if (removed.length === 0 && added.length === 0 && old.join('\0') !== now.join('\0')) {
    differences.push({
      cause: 'arguments',
      input: 'argument',
      name: 'order of the arguments',
      old: old.map(shownArgument).join(' '),
      new: now.map(shownArgument).join(' '),
    });
  }
  return differences;
}

/** Splits `NAME=value` or `name digest` into what identifies it and its value. */
function splitAt(value: string, separator: string): [string, string] {
  const at = value.indexOf(separator);
  return at === -1 ? [value, ''] : [value.slice(0, at), value.slice(at + 1)];
}

/** Named values (env vars, externs, libraries) compared by name. */
function namedDifferences(
  old: readonly string[],
  now: readonly string[],
  separator: string,
  make: (name: string, old: string | null, now: string | null) => Difference,
): Difference[] {
  const before = new Map<string, string[]>();
  for (const value of old) {
    const [name, rest] = splitAt(value, separator);
    before.set(name, [...(before.get(name) ?? []), rest]);
  }
  const after = new Map<string, string[]>();
  for (const value of now) {
    const [name, rest] = splitAt(value, separator);
    after.set(name, [...(after.get(name) ?? []), rest]);
  }
  const differences: Difference[] = [];
  for (const name of new Set([...before.keys(), ...after.keys()])) {
    const a = before.get(name) ?? [];
    const b = after.get(name) ?? [];
    if (a.join('\0') === b.join('\0')) continue;
    differences.push(make(name, a.length ? a.join(', ') : null, b.length ? b.join(', ') : null));
  }
  return differences;
}

function valuesOf(sections: readonly Section[], kinds: readonly string[]): string[] {
  return sections.filter(([label]) => kinds.includes(kindOf(label))).map(([, value]) => value);
}

/** Inputs compared as one value each, with the cause they stand for. */
const SINGLE_VALUED: ReadonlyArray<{ kind: string; cause: Difference['cause'] }> = [
  { kind: 'cache-version', cause: 'toolchain' },
  { kind: 'target-spec', cause: 'toolchain' },
  { kind: 'cwd', cause: 'location' },
  { kind: 'stderr', cause: 'sources' },
  { kind: 'preprocessed', cause: 'sources' },
];

export interface KeyInputs {
  sections: readonly Section[];
  /** How the compiler is named to people: path and version. Compared through its identity (section "compiler"). */
  compiler?: string;
}

/** The differences between the direct-key inputs of two compiles. */
export function sectionDifferences(old: KeyInputs, now: KeyInputs): Difference[] {
  const differences: Difference[] = [];
  const oldCompiler = valuesOf(old.sections, ['compiler']).join(' ');
  const newCompiler = valuesOf(now.sections, ['compiler']).join(' ');
  if (oldCompiler !== newCompiler) {
    const described = old.compiler && now.compiler && old.compiler !== now.compiler;
    differences.push({
      cause: 'toolchain',
      input: 'compiler',
      name: 'compiler',
      old: described ? old.compiler! : oldCompiler,
      new: described ? now.compiler! : newCompiler,
    });
  }
  for (const { kind, cause } of SINGLE_VALUED) {
    const a = valuesOf(old.sections, [kind]).join(' ');
    const b = valuesOf(now.sections, [kind]).join(' ');
    if (a !== b)
      differences.push({
        cause,
        input: kind,
        name: kind === 'cwd' ? 'working directory' : kind,
        old: a || null,
        new: b || null,
      });
  }
  differences.push(...argumentDifferences(valuesOf(old.sections, ['argument']), valuesOf(now.sections, ['argument'])));
  differences.push(
    ...namedDifferences(valuesOf(old.sections, ['env']), valuesOf(now.sections, ['env']), '=', (name, a, b) => ({
      cause: 'environment',
      input: 'env',
      name,
      old: a,
      new: b,
    })),
    ...namedDifferences(valuesOf(old.sections, ['extern']), valuesOf(now.sections, ['extern']), ' ', (name, a, b) => ({
      cause: 'dependencies',
      input: 'extern',
      name,
      old: a,
      new: b,
    })),
    ...namedDifferences(
      valuesOf(old.sections, ['system-include-dir']),
      valuesOf(now.sections, ['system-include-dir']),
      ' ',
      (name, a, b) => ({ cause: 'toolchain', input: 'system-include-dir', name, old: a, new: b }),
    ),
  );
  const libraryName = (value: string): string => value.split(' ').slice(0, 2).join(' ');
  const libraries = (sections: readonly Section[]): string[] =>
    valuesOf(sections, ['native-library']).map(
      (value) => `${libraryName(value)}\t${value.split(' ').slice(2).join(' ')}`,
    );
  differences.push(
    ...namedDifferences(libraries(old.sections), libraries(now.sections), '\t', (name, a, b) => ({
      cause: 'linker',
      input: 'native-library',
      name,
      old: a,
      new: b,
    })),
  );
  for (const kind of ['linker', 'library', 'system-library-dir']) {
    differences.push(
      ...namedDifferences(valuesOf(old.sections, [kind]), valuesOf(now.sections, [kind]), ' ', (name, a, b) => ({
        cause: 'linker',
        input: kind,
        name,
        old: a,
        new: b,
      })),
    );
  }
  differences.push(
    ...namedDifferences(
      valuesOf(old.sections, ['linker-env']),
      valuesOf(now.sections, ['linker-env']),
      '=',
      (name, a, b) => ({ cause: 'linker', input: 'linker-env', name, old: a, new: b }),
    ),
  );
  return differences;
}

/** The worktree root written as a placeholder, so two checkouts' inputs can be compared. */
export const ROOT_TOKEN = '<checkout>';

export function withoutRoot(value: string, root: string): string {
  if (!root || root.length < 2) return value;
  const escaped = root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return value.replace(new RegExp(`${escaped}(?=[/=:"'\\s]|$)`, 'g'), ROOT_TOKEN);
}

function identity(difference: Difference): string {
  return `${difference.input}\0${difference.name}`;
}

/**
 * The differences, with those that only the checkout path explains folded into one: compares the
 * inputs as they are and with each side's worktree root written as a placeholder.
 */
export function differencesAcrossCheckouts(
  old: KeyInputs & { root: string },
  now: KeyInputs & { root: string },
  compare: (old: KeyInputs, now: KeyInputs) => Difference[] = sectionDifferences,
): Difference[] {
  const raw = compare(old, now);
  if (old.root === now.root || !old.root || !now.root) return raw;
  const normalise = (inputs: KeyInputs, root: string): KeyInputs => ({
    sections: inputs.sections.map(([label, value]) => [label, withoutRoot(value, root)] as const),
    ...(inputs.compiler !== undefined ? { compiler: withoutRoot(inputs.compiler, root) } : {}),
  });
  const real = compare(normalise(old, old.root), normalise(now, now.root));
  const realIds = new Set(real.map(identity));
  const onlyPath = raw.filter((difference) => !realIds.has(identity(difference)));
  if (onlyPath.length === 0) return real;
  return [
    ...real,
    {
      cause: 'location',
      input: 'checkout',
      name: `checkout path (in ${onlyPath.map((difference) => difference.name).join(', ')})`,
      old: old.root,
      new: now.root,
    },
  ];
}

/** Most telling first: a compiler or a path explains everything after it; a dependency is explained by its own miss. */
const CAUSE_ORDER: ReadonlyArray<Difference['cause']> = [
  'toolchain',
  'location',
  'features',
  'arguments',
  'environment',
  'sources',
  'linker',
  'dependencies',
];

export function mostTellingFirst(differences: readonly Difference[]): Difference[] {
  return [...differences].sort((a, b) => CAUSE_ORDER.indexOf(a.cause) - CAUSE_ORDER.indexOf(b.cause));
}

/**
 * What a miss is explained by, and what followed from it. cargo's hashes of the settings (derived)
 * change with any feature, flag or compiler, and a dependency's digest changes when the dependency
 * was itself compiled anew: they are named only when the crate's own inputs are all the same.
 */
export function explainingDifferences(differences: readonly Difference[]): {
  differences: Difference[];
  dependencies: Difference[];
} {
  const real = differences.filter((difference) => !difference.derived);
  const own = real.filter((difference) => difference.cause !== 'dependencies');
  if (own.length > 0)
    return { differences: own, dependencies: real.filter((difference) => difference.cause === 'dependencies') };
  return { differences: real.length > 0 ? real : [...differences], dependencies: [] };
}

/** Shortens a value for a one-line summary: digests to 12 characters, long values to their ends. */
export function shortValue(value: string | null, max = 40): string {
  if (value === null) return '(absent)';
  const shortened = value.replace(/\b[0-9a-f]{40,}\b/g, (digest) => digest.slice(0, 12));
  if (shortened.length <= max) return shortened;
  const half = Math.floor((max - 1) / 2);
  return `${shortened.slice(0, half)}…${shortened.slice(shortened.length - half)}`;
}

/** A few words for a row of the dashboard: what kind of input changed, and which. */
export function shortDifference(difference: Difference): string {
  const { input, name, new: now } = difference;
  switch (input) {
    case 'feature':
      return `${now === 'on' ? '+' : '-'}feature ${name}`;
    case 'source':
      return `edit ${name.replace(/^.*\//, '')}`;
    case 'extern':
      return `dep ${name}`;
    case 'env':
    case 'env-dep':
      return `env ${name}`;
    case 'argument':
      return `arg ${name}`;
    case 'compiler':
      return 'compiler';
    case 'checkout':
    case 'cwd':
    case 'base-directory':
      return 'checkout path';
    default:
      return difference.cause;
  }
}

/** One line: what changed, from what to what. */
export function describeDifference(difference: Difference, max = 40): string {
  const { input, name, old, new: now } = difference;
  switch (input) {
    case 'feature':
      return `feature "${name}" turned ${now}`;
    case 'source':
      return now === null
        ? `source ${name} is gone`
        : old === null
          ? `source ${name} is new`
          : `source ${name} changed (${shortValue(old, 12)} → ${shortValue(now, 12)})`;
    case 'extern':
      return old === null
        ? `dependency ${name} added`
        : now === null
          ? `dependency ${name} removed`
          : `dependency ${name} changed (--extern ${name}: ${shortValue(old, 12)} → ${shortValue(now, 12)})`;
    case 'env':
      return `environment ${name}: ${shortValue(old, max)} → ${shortValue(now, max)}`;
    case 'env-dep':
      return `env! variable ${name}: ${shortValue(old, max)} → ${shortValue(now, max)}`;
    case 'argument':
      return old === null
        ? `argument ${shortValue(now, max)} added`
        : now === null
          ? `argument ${shortValue(old, max)} removed`
          : `argument ${name}: ${shortValue(old, max)} → ${shortValue(now, max)}`;
    case 'compiler':
      return `compiler: ${shortValue(old, max)} → ${shortValue(now, max)}`;
    case 'checkout':
      return `${name}: ${shortValue(old, max)} → ${shortValue(now, max)}`;
    default:
      return `${input} ${name}: ${shortValue(old, max)} → ${shortValue(now, max)}`;
  }
}
