import type { NotCacheableReason } from '../classification.js';

/*
 * Declarative tables of gcc/clang options the cache must treat specially. Every other option is an
 * argument like any other: it goes into the key as written. Each table stays sorted (a test checks).
 */

/** Options whose value is the next argument (`-o out.o`, `-I dir`, `-x c`). */
export const OPTIONS_WITH_SEPARATE_VALUE = [
  '--param',
  '-D',
  '-I',
  '-L',
  '-MF',
  '-MQ',
  '-MT',
  '-U',
  '-Xassembler',
  '-Xclang',
  '-Xlinker',
  '-Xpreprocessor',
  '-arch',
  '-idirafter',
  '-imacros',
  '-include',
  '-iprefix',
  '-iquote',
  '-isysroot',
  '-isystem',
  '-iwithprefix',
  '-iwithprefixbefore',
  '-l',
  '-o',
  '-target',
  '-x',
] as const;

/** Options (by prefix) whose compile the cache does not take, with the reason counted for it. */
export const UNCACHEABLE_FLAGS: ReadonlyArray<readonly [prefix: string, reason: NotCacheableReason]> = [
  ['--coverage', 'profile'],
  ['-fauto-profile', 'profile'],
  ['-fbranch-probabilities', 'profile'],
  ['-fcreate-profile', 'profile'],
  ['-fpch-', 'pch'],
  ['-fprofile-', 'profile'],
  ['-ftest-coverage', 'profile'],
  ['-gsplit-dwarf', 'split-debuginfo'],
  ['-include-pch', 'pch'],
  ['-save-temps', 'save-temps'],
];

/** Options (by prefix) that make the compiler write files beside the object, which the cache would not restore. */
export const OUTPUT_WRITING_PREFIXES = ['-fcallgraph-info', '-fdump-', '-fopt-info', '-fsave-optimization-record', '-fstack-usage', '-ftime-trace'] as const;
