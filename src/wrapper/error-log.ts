import { makeDirectorySync } from '../fs/make-directory.js';
import { appendFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Appends one line to the error log. Logging must never be the thing that fails a build, so every
 * failure here is swallowed.
 */
export function logError(path: string, source: string, message: string): void {
  try {
    // The log names sources and arguments: the user's alone, whatever the build's umask.
    makeDirectorySync(dirname(path), 0o700);
    appendFileSync(path, `${new Date().toISOString()} ${source}[${process.pid}] ${message.replace(/\n/g, ' | ')}\n`, {
      mode: 0o600,
    });
  } catch {
    // Nowhere left to report to; the compile goes on regardless.
  }
}
