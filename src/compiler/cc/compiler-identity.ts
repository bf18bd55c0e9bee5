import { resolve } from 'node:path';
import type { ProcessRunner } from '../../exec/process-runner.js';
import { digestBytes } from '../../hash/blake3.js';
import type { DigestMemo } from '../../hash/digest-memo.js';
import { locateCompiler, statIdentity } from '../locate-compiler.js';
import { RememberedProbes } from '../remembered-probes.js';

export type CcFamily = 'gcc' | 'clang';

export interface CcCompilerIdentity {
  path: string;
  family: CcFamily;
  /** What goes into keys: the driver's digest, its version and target. */
  digest: string;
  /** Where `#include <…>` looks (the compiler's own list), for compiles whose dependency file omits system headers. */
  systemIncludeDirs: string[];
  /** The major version from the version line, when it has one. */
  majorVersion?: number;
  /** Whether it takes -ffile-prefix-map (gcc 8, clang 10, Apple clang 12), which lets outputs leave out a base directory. */
  filePrefixMap: boolean;
}

/** The first release of each family that takes -ffile-prefix-map. */
const FILE_PREFIX_MAP_SINCE = { gcc: 8, clang: 10, 'apple clang': 12 } as const;

/** `gcc version 12.2.0 (Debian …)`, `clang version 17.0.6`, `Apple clang version 15.0.0 (…)`. */
export function majorVersionOf(versionLine: string): number | undefined {
  const match = /\bversion (\d+)\./.exec(versionLine);
  return match ? Number(match[1]) : undefined;
}

export function takesFilePrefixMap(family: CcFamily, versionLine: string): boolean {
  const major = majorVersionOf(versionLine);
  if (major === undefined) return false;
  const line = family === 'clang' && /^Apple /.test(versionLine.trim()) ? 'apple clang' : family;
  return major >= FILE_PREFIX_MAP_SINCE[line];
}

/** Reads `cc -E -v -x c /dev/null`: the version line, the target and the `#include <...>` search list. */
export function parseVerboseOutput(
  text: string,
): { family: CcFamily; version: string; target: string; includeDirs: string[] } | undefined {
  const lines = text.split('\n');
  const version = lines.find((line) => /^(gcc|clang) version /.test(line) || / clang version /.test(line));
  if (!version) return undefined;
  const target = lines.find((line) => line.startsWith('Target: ')) ?? '';
  const start = lines.findIndex((line) => line.startsWith('#include <...> search starts here'));
  const end = lines.findIndex((line, index) => index > start && line.startsWith('End of search list'));
  const includeDirs =
    start === -1 || end === -1
      ? []
      : lines.slice(start + 1, end).map((line) => resolve(line.trim().replace(/ \(framework directory\)$/, '')));
  return { family: version.includes('clang') ? 'clang' : 'gcc', version: version.trim(), target, includeDirs };
}

/**
 * C and C++ compilers, identified by what they say they are (not by their name) once per driver
 * binary, and remembered for the server's lifetime.
 */
export class CcCompilers {
  private readonly known = new RememberedProbes<CcCompilerIdentity | undefined>();

  constructor(
    private readonly runner: ProcessRunner,
    private readonly memo: DigestMemo,
  ) {}

  /** The compiler's identity, or undefined when it is not gcc or clang. */
  async identify(compiler: string, cwd: string, env: Record<string, string>): Promise<CcCompilerIdentity | undefined> {
    const path = await locateCompiler(compiler, cwd, env);
    return this.known.get(`${path} ${await statIdentity(path)}`, () => this.probe(path, cwd, env));
  }

  private async probe(path: string, cwd: string, env: Record<string, string>): Promise<CcCompilerIdentity | undefined> {
    const result = await this.runner.run(path, ['-E', '-v', '-x', 'c', '/dev/null'], {
      cwd,
      env: { ...env, LC_ALL: 'C' },
      timeoutMs: 20_000,
    });
    const parsed = parseVerboseOutput(`${result.stdout}\n${result.stderr}`);
    if (!parsed) return undefined;
    const digest = digestBytes([await this.memo.digest(path), parsed.version, parsed.target].join('\n'));
    const majorVersion = majorVersionOf(parsed.version);
    return {
      path,
      family: parsed.family,
      digest,
      systemIncludeDirs: parsed.includeDirs,
      ...(majorVersion === undefined ? {} : { majorVersion }),
      filePrefixMap: takesFilePrefixMap(parsed.family, parsed.version),
    };
  }
}
