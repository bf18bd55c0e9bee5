import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';

/**
 * Writes a whole new file under a unique temporary name and renames it into place: readers see the
 * old content or the new, never a part, and concurrent writers never share a temporary file.
 */
export async function writeAtomically(
  path: string,
  content: string | Uint8Array,
  options: { mode?: number } = {},
): Promise<void> {
  const temporary = `${path}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`;
  try {
    // The mode is given at creation, so a private file (a cargo config with a token) is never readable by others.
    await writeFile(temporary, content, options.mode === undefined ? {} : { mode: options.mode });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
