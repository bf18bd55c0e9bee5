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
export const OUTPUT_WRITING_PREFIXES = [
  '-fcallgraph-info',
  '-fdump-',
  '-fopt-info',
  '-fsave-optimization-record',
  '-fstack-usage',
  '-ftime-trace',
] as const;

/**
 * Options whose whole effect is in the preprocessed text: they say which macros are defined and which
 * headers are found, and nothing else reaches the compiler proper. The preprocessed key leaves them out
 * (ccache's preprocessor mode does the same), so an unused `-D` or an `-I` naming a copy of the same
 * headers still hits there. The direct key keeps them: it has no preprocessed text to stand for them.
 * Each is matched as written alone (`-I dir`) or joined to its value (`-Idir`, `-DX=1`). Sorted.
 */
export const PREPROCESSOR_ONLY_OPTIONS: ReadonlyArray<readonly [option: string, reason: string]> = [
  ['-D', 'defines a macro: every use of it is expanded in the text'],
  ['-I', 'a header search directory: the headers found are in the text (their paths in line markers)'],
  ['-U', 'undefines a macro: the text shows the outcome'],
  ['-idirafter', 'a header search directory searched last: as -I'],
  ['-imacros', "a file whose macros are read, its text discarded: the macros' uses are in the text"],
  ['-include', 'a header included before the source: its text is in the preprocessed text'],
  ['-iprefix', 'the prefix for -iwithprefix: as -I'],
  ['-iquote', 'a search directory for #include "…": as -I'],
  ['-isystem', 'a system header directory: as -I (the system-header flag is in the line markers)'],
  ['-iwithprefix', 'a header search directory under -iprefix: as -I'],
  ['-iwithprefixbefore', 'a header search directory under -iprefix: as -I'],
  ['-nostdinc', 'no system header directories: which headers are found is in the text'],
  ['-nostdinc++', 'no C++ standard library headers: as -nostdinc'],
];

/** Whether `arg` (with `next`, the argument after it) is a preprocessor-only option; how many arguments it spans, or 0. */
export function preprocessorOnlySpan(arg: string, next: string | undefined): 0 | 1 | 2 {
  for (const [option] of PREPROCESSOR_ONLY_OPTIONS) {
    if (arg === option) {
      const separate = (OPTIONS_WITH_SEPARATE_VALUE as readonly string[]).includes(option);
      return separate ? (next === undefined ? 0 : 2) : 1;
    }
  }
  // Joined values: -DX, -Idir, -isystemdir. The flag-only options (-nostdinc) match only as written.
  // The longest option that is a prefix wins (-iwithprefixbefore over -iwithprefix).
  const joined = PREPROCESSOR_ONLY_OPTIONS.filter(
    ([option]) =>
      (OPTIONS_WITH_SEPARATE_VALUE as readonly string[]).includes(option) &&
      arg.startsWith(option) &&
      arg.length > option.length,
  );
  return joined.length > 0 ? 1 : 0;
}
