import { mkdirSync, statSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/*
 * mkdir -p without Node's `recursive: true`, which never returns where mkdir answers ENOENT under a
 * parent that exists (a HOARD_DIR under /proc, say): it makes the parent, is told it exists, and tries
 * the child again, forever. Here each directory is made once, from the nearest existing parent down,
 * and such a path fails with mkdir's own error. `mode` applies to every directory made, as with `-p`.
 */

function codeOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

export function makeDirectorySync(path: string, mode?: number): void {
  try {
    mkdirSync(path, { mode });
    return;
  } catch (error) {
    if (codeOf(error) === 'EEXIST' && statSync(path).isDirectory()) return;
    if (codeOf(error) !== 'ENOENT' || dirname(path) === path) throw error;
  }
  makeDirectorySync(dirname(path), mode);
  try {
    mkdirSync(path, { mode });
  } catch (error) {
    if (codeOf(error) !== 'EEXIST' || !statSync(path).isDirectory()) throw error;
  }
}

export async function makeDirectory(path: string, mode?: number): Promise<void> {
  try {
    await mkdir(path, { mode });
    return;
  } catch (error) {
    if (codeOf(error) === 'EEXIST' && (await stat(path)).isDirectory()) return;
    if (codeOf(error) !== 'ENOENT' || dirname(path) === path) throw error;
  }
  await makeDirectory(dirname(path), mode);
  try {
    await mkdir(path, { mode });
  } catch (error) {
    // Another process may make it meanwhile.
    if (codeOf(error) !== 'EEXIST' || !(await stat(path)).isDirectory()) throw error;
  }
}
