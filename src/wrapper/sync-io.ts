import { writeSync } from 'node:fs';
import { monotonicMs } from './clock.js';

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks this thread for `ms` milliseconds (fractions allowed) without spinning. */
export function pauseSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/**
 * Writes all of `bytes` to a descriptor that may be non-blocking (a pipe cargo reads, a lane's FIFO):
 * a full pipe is waited out until `deadline` (a monotonicMs() time), then this throws.
 */
export function writeFully(descriptor: number, bytes: Uint8Array, deadline = Infinity): void {
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(descriptor, bytes, offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      if (monotonicMs() >= deadline) throw new Error('the reader took nothing for too long');
      pauseSync(1);
    }
  }
}

/**
 * Writes the wrapper's own output (a hit's replay, the compiler's output relayed, a message) to stdout
 * or stderr, synchronously: every byte is out when the wrapper exits, on any platform, and
 * process.stdout and process.stderr, whose streams cost milliseconds to build, are never touched.
 * A reader that went away (EPIPE) loses the text, not the build.
 */
export function writeOutput(descriptor: 1 | 2, data: Uint8Array | string): void {
  try {
    writeFully(descriptor, typeof data === 'string' ? Buffer.from(data) : data);
  } catch {
    // The reader is gone: there is nobody to show the text to.
  }
}
