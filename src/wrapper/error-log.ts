import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Appends one line to the error log. Logging must never be the thing that fails a build, so every
 * failure here is swallowed.
 */
export function logError(path: string, source: string, message: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    appendFileSync(path, `${new Date().toISOString()} ${source}[${process.pid}] ${message.replace(/\n/g, ' | ')}\n`);
  } catch {
    // Nowhere left to report to; the compile goes on regardless.
  }
}
