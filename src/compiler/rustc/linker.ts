import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { ProcessRunner } from '../../exec/process-runner.js';
import type { DigestMemo } from '../../hash/digest-memo.js';
import type { RustCompile } from './args.js';
import { locateCompiler, statIdentity } from '../locate-compiler.js';
import { RememberedProbes } from '../remembered-probes.js';

/**
 * What a linked crate (binary, build script, proc-macro, dylib) depends on beyond what rustc itself
 * reads: the linker and the libraries it finds. These are key inputs 11-13 (docs/architecture.md).
 */

/** The linker rustc runs for Linux and Apple targets when `-C linker` does not name one. */
const DEFAULT_LINKER = 'cc';

/** Environment variables the C toolchain reads while linking. Sorted. */
export const LINKER_VARIABLES = [
  'COMPILER_PATH',
  'GCC_EXEC_PREFIX',
  'LD_RUN_PATH',
  'LIBRARY_PATH',
  'MACOSX_DEPLOYMENT_TARGET',
  'SDKROOT',
] as const;

/** Library files a linker may pick up from a directory named with `-L`. */
const LIBRARY_FILE = /^lib.+\.(a|so(\.[\d.]+)?|dylib)$|\.(lib|rlib)$/;

interface LinkerProbe {
  /** The program a gcc- or clang-style driver runs to link, resolved; undefined when it does not say. */
  ld?: string;
  /** Where it looks for libraries on its own (crt objects, libc, libgcc_s, system libraries). */
  searchDirs: string[];
}

export type LabelledInput = [label: string, value: string];

function codegenValue(compile: RustCompile, key: string): string | undefined {
  let found: string | undefined;
  for (const option of compile.options) {
    if (option.name === '-C' && option.value?.startsWith(`${key}=`)) found = option.value.slice(key.length + 1);
  }
  return found;
}

/** Parses the `libraries: =dir:dir` line of `cc -print-search-dirs`. */
export function librarySearchDirs(printed: string): string[] {
  const line = printed.split('\n').find((entry) => entry.startsWith('libraries:'));
  if (!line) return [];
  const dirs = line
    .replace(/^libraries:\s*=?/, '')
    .split(':')
    .filter(Boolean)
    .map((dir) => resolve(dir));
  return [...new Set(dirs)];
}

export class Linkers {
  private readonly probes = new RememberedProbes<LinkerProbe>();

  constructor(
    private readonly runner: ProcessRunner,
    private readonly memo: DigestMemo,
  ) {}

  /** Key inputs 11-13 of a linked compile, labelled. Throws when the linker cannot be found. */
  async inputs(compile: RustCompile, cwd: string, env: Record<string, string>): Promise<LabelledInput[]> {
    const linker = await locateCompiler(codegenValue(compile, 'linker') ?? DEFAULT_LINKER, cwd, env);
    const probe = await this.probe(linker, cwd, env);
    const inputs: LabelledInput[] = [['11 linker', `${linker} ${await this.memo.digest(linker)}`]];
    if (probe.ld) inputs.push(['11 linker', `runs ${probe.ld} ${(await this.memo.digest(probe.ld)) ?? 'missing'}`]);
    // A directory's mtime changes whenever a file in it is added, removed or replaced by rename, which
    // is how package managers install libraries: a cheap, conservative stand-in for their contents.
    for (const dir of probe.searchDirs) {
      const info = await stat(dir, { bigint: true }).catch(() => undefined);
      if (info) inputs.push(['12 system-library-dir', `${dir} ${info.ino}:${info.mtimeNs}`]);
    }
    for (const { kind, path } of compile.searchPaths) {
      if (kind !== 'native' && kind !== 'all') continue;
      const dir = isAbsolute(path) ? path : resolve(cwd, path);
      const names = (await readdir(dir).catch(() => [] as string[])).filter((name) => LIBRARY_FILE.test(name)).sort();
      for (const name of names)
        inputs.push(['12 library', `${name} ${(await this.memo.digest(join(dir, name))) ?? 'missing'}`]);
    }
    for (const name of LINKER_VARIABLES)
      if (env[name] !== undefined) inputs.push(['13 linker-env', `${name}=${env[name]}`]);
    return inputs;
  }

  /** Asks a linker driver what it runs and where it searches, once per linker binary. */
  private async probe(linker: string, cwd: string, env: Record<string, string>): Promise<LinkerProbe> {
    const memoKey = `${linker} ${await statIdentity(linker)} ${env.LIBRARY_PATH ?? ''} ${env.COMPILER_PATH ?? ''}`;
    return this.probes.get(memoKey, () => this.runProbe(linker, cwd, env));
  }

  private async runProbe(linker: string, cwd: string, env: Record<string, string>): Promise<LinkerProbe> {
    const [prog, dirs] = await Promise.all([
      this.runner.run(linker, ['-print-prog-name=ld'], { cwd, env, timeoutMs: 10_000 }),
      this.runner.run(linker, ['-print-search-dirs'], { cwd, env, timeoutMs: 10_000 }),
    ]);
    const probe: LinkerProbe = { searchDirs: dirs.exitCode === 0 ? librarySearchDirs(dirs.stdout) : [] };
    const ld = prog.exitCode === 0 ? prog.stdout.trim() : '';
    if (ld) probe.ld = await locateCompiler(ld, cwd, env).catch(() => ld);
    return probe;
  }
}
