/**
 * A hashing thread of the server (see hash-workers.ts): digests the files it is sent, one at a time,
 * with the same function the main thread uses, so a digest is the same whichever thread made it.
 */
import { parentPort } from 'node:worker_threads';
import { digestFileHere } from './blake3.js';
import type { HashJob, HashResult } from './hash-workers.js';

parentPort!.on('message', (job: HashJob) => {
  digestFileHere(job.path).then(
    (digest) => parentPort!.postMessage({ id: job.id, digest } satisfies HashResult),
    (error: NodeJS.ErrnoException) => parentPort!.postMessage({ id: job.id, error: error.message, ...(error.code ? { code: error.code } : {}) } satisfies HashResult),
  );
});
