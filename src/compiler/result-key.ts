import { KeyHasher } from '../hash/blake3.js';

/**
 * The result key, whatever the compiler: the direct key plus what the compile was found to read
 * (inputs 9 and 10 of docs/architecture.md for rustc, 7 for C and C++), recorded in the direct key's
 * manifest and checked on every hit.
 */
export interface ManifestInputs {
  files: Array<[path: string, digest: string | null]>;
  envDeps: Array<[name: string, value: string | null]>;
}

export function resultKey(
  direct: string,
  manifest: ManifestInputs,
  explain = false,
): { key: string; explanation: string } {
  const hasher = new KeyHasher(explain);
  hasher.section('direct', direct);
  for (const [path, digest] of manifest.files) hasher.section('9 source', `${path} ${digest ?? 'absent'}`);
  for (const [name, value] of manifest.envDeps)
    hasher.section('10 env-dep', value === null ? `${name} unset` : `${name}=${value}`);
  return { key: hasher.digest(), explanation: hasher.explanation() };
}
