import { basename, dirname, sep } from 'node:path';

/*
 * Configure-style probes: a build system checking what the compiler can do compiles a throwaway source
 * (autoconf's conftest.c, CMake's try_compile projects, Meson's testfile.c) in a place it removes at
 * once. Each probe is a new text, so caching it would only cost a store per probe and fill the cache
 * with entries nobody asks for again; it runs uncached, counted as `probe`.
 */

/** File names autoconf gives its probes: conftest.c, conftest.cpp, conftest.s, … (`conftest.$ac_ext`). */
const AUTOCONF_PROBE = /^conftest\.[A-Za-z+]+$/;

/** Directories of throwaway projects: CMake's try_compile (3.24+ and before), Meson's compiler checks. */
const PROBE_DIRECTORIES = [
  `${sep}CMakeFiles${sep}CMakeScratch${sep}`,
  `${sep}CMakeFiles${sep}CMakeTmp${sep}`,
  `${sep}meson-private${sep}`,
];

/** Why the compile of `source` (absolute) is a configure probe, or undefined when it is not one. */
export function configureProbe(source: string): string | undefined {
  if (AUTOCONF_PROBE.test(basename(source))) return `${basename(source)}: an autoconf probe`;
  const dir = dirname(source) + sep;
  const directory = PROBE_DIRECTORIES.find((marker) => dir.includes(marker));
  return directory ? `${source}: a probe compiled in ${directory.split(sep).filter(Boolean).join('/')}` : undefined;
}
