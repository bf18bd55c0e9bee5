/**
 * rustc's command-line options, as far as a cache must know them: which take a value. Sorted, and a
 * test keeps them sorted. An option not listed here makes the call uncacheable ("unknown-argument")
 * rather than risk misreading the next argument as a value or as the input file.
 */
export const LONG_OPTIONS_WITH_VALUE = [
  '--allow',
  '--cap-lints',
  '--cfg',
  '--check-cfg',
  '--codegen',
  '--color',
  '--crate-name',
  '--crate-type',
  '--deny',
  '--diagnostic-width',
  '--edition',
  '--emit',
  '--env-set',
  '--error-format',
  '--explain',
  '--extern',
  '--forbid',
  '--force-warn',
  '--json',
  '--out-dir',
  '--print',
  '--remap-path-prefix',
  '--sysroot',
  '--target',
  '--warn',
] as const;

export const LONG_FLAGS = ['--help', '--test', '--verbose', '--version'] as const;

/** Short options that take a value, either attached (-Copt-level=3) or as the next argument. */
export const SHORT_OPTIONS_WITH_VALUE = ['-A', '-C', '-D', '-F', '-L', '-W', '-Z', '-l', '-o'] as const;

export const SHORT_FLAGS = ['-O', '-V', '-g', '-h', '-v'] as const;

/** Long spellings of short options, so that `--codegen x` and `-C x` are read alike. */
export const LONG_TO_SHORT: Record<string, string> = {
  '--allow': '-A',
  '--codegen': '-C',
  '--deny': '-D',
  '--forbid': '-F',
  '--warn': '-W',
};
