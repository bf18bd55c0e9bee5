import { realpathSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/** A file's identity for remembering probes of it: replaced or rewritten, it changes. */
export async function statIdentity(path: string): Promise<string> {
  const info = statSync(path, { bigint: true });
  return `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}`;
}

/**
 * Finds the compiler the way the shell would, with the requesting process's PATH. Every request does
 * this, so the calls are synchronous: a stat per PATH entry costs microseconds, a thread-pool trip more.
 * The C library's realpath: Node's own lstats each component in JavaScript, several times slower (docs/decisions.md).
 */
export async function locateCompiler(compiler: string, cwd: string, env: Record<string, string>): Promise<string> {
  if (compiler.includes('/')) return realpathSync.native(isAbsolute(compiler) ? compiler : resolve(cwd, compiler));
  for (const directory of (env.PATH ?? '').split(delimiter)) {
    if (!directory) continue;
    const candidate = join(directory, compiler);
    try {
      const info = statSync(candidate, { throwIfNoEntry: false });
      if (info?.isFile() && (info.mode & 0o111) !== 0) return realpathSync.native(candidate);
    } catch {
      // Not in this directory (or a PATH entry that is not a readable directory).
    }
  }
  throw new Error(`${compiler} not found on PATH`);
}
