/**
 * A hashing thread of the server (see hash-workers.ts): digests the files it is sent, one at a time,
 * with the same function the main thread uses, so a digest is the same whichever thread made it.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { digestFileSync } from './file-digest.js';
import type { HashJob, HashResult, HashWorkerOptions } from './hash-workers.js';

/**
 * A background thread yields the CPU to the build: on Linux a thread is a task of its own, whose
 * priority setpriority(2) sets by its id (/proc/thread-self names it). Elsewhere it runs as is.
 */
const { nice } = (workerData ?? {}) as HashWorkerOptions;
if (nice) {
  try {
    setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), nice);
  } catch {
    // Not Linux, or not allowed: the same work at the same priority.
  }
}

parentPort!.on('message', (job: HashJob) => {
  let result: HashResult;
  try {
    result = { id: job.id, digest: digestFileSync(job.path) };
  } catch (error) {
    const { message, code } = error as NodeJS.ErrnoException;
    result = { id: job.id, error: message, ...(code ? { code } : {}) };
  }
  parentPort!.postMessage(result);
});
