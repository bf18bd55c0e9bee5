/**
 * "Can't cache" is a value, not an exception: every compiler call is classified, and every reason a
 * call is not cached becomes a statistics counter.
 */
export type Classification<Compile> =
  | { kind: 'not-compilation' }
  | { kind: 'not-cacheable'; reason: NotCacheableReason; detail: string }
  | { kind: 'cacheable'; compile: Compile };

/** Sorted; each is a counter in `hoard stats`, explained in docs/troubleshooting.md. */
export const NOT_CACHEABLE_REASONS = [
  'argfile',
  'crate-type',
  'emit',
  'incremental',
  'language',
  'link',
  'linked-crate-off',
  'linker-not-found',
  'missing-dep-info',
  'multiple-inputs',
  'output-file',
  'pch',
  'preprocess',
  'probe',
  'profile',
  'save-temps',
  'split-debuginfo',
  'stdin',
  'sysroot',
  'time-macro',
  'unknown-argument',
] as const;

export type NotCacheableReason = (typeof NOT_CACHEABLE_REASONS)[number];

export function notCacheable<C>(reason: NotCacheableReason, detail: string): Classification<C> {
  return { kind: 'not-cacheable', reason, detail };
}
