/**
 * The kind of crate a rustc call builds, for the statistics by kind. Read from the raw arguments, so that
 * calls the cache does not take are counted by kind too.
 */
import type { LinkedCrateKind } from '../../config/linked-crate-kinds.js';

export { LINKED_CRATE_KINDS, type LinkedCrateKind } from '../../config/linked-crate-kinds.js';

/** Which linked kind a compile with these crate types is, or undefined for libraries rustc does not link. */
export function linkedKindOf(
  crateTypes: readonly string[],
  crateName: string,
  isTest: boolean,
): LinkedCrateKind | undefined {
  if (isTest || crateTypes.includes('bin')) return crateName.startsWith('build_script_') ? 'build-script' : 'binary';
  if (crateTypes.includes('proc-macro')) return 'proc-macro';
  if (crateTypes.includes('dylib') || crateTypes.includes('cdylib')) return 'dylib';
  return undefined;
}

export type RustCrateKind = 'rust library' | 'rust proc-macro' | 'rust build script' | 'rust binary' | 'rust test';

function valuesOf(args: readonly string[], name: string): string[] {
  const values: string[] = [];
  args.forEach((arg, index) => {
    if (arg === name && args[index + 1] !== undefined) values.push(args[index + 1]!);
    else if (arg.startsWith(`${name}=`)) values.push(arg.slice(name.length + 1));
  });
  return values;
}

export function rustCrateKind(args: readonly string[]): RustCrateKind {
  if (args.includes('--test')) return 'rust test';
  const types = valuesOf(args, '--crate-type').flatMap((value) => value.split(','));
  if (types.includes('proc-macro')) return 'rust proc-macro';
  // rustc builds a binary when no crate type is given.
  if (types.length === 0 || types.includes('bin')) {
    // cargo names every build script's crate build_script_<target>, whatever its file is called.
    return valuesOf(args, '--crate-name').some((name) => name.startsWith('build_script_'))
      ? 'rust build script'
      : 'rust binary';
  }
  return 'rust library';
}
