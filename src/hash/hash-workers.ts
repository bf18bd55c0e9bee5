import { Worker } from 'node:worker_threads';

export interface HashJob {
  id: number;
  path: string;
}

export type HashResult = { id: number; digest: string } | { id: number; error: string; code?: string };

/** Sent to each thread when it starts. */
export interface HashWorkerOptions {
  /** A niceness for the thread (Linux): background hashing gives way to compilers. */
  nice?: number;
}

interface Pending {
  job: HashJob;
  resolve(digest: string): void;
  reject(error: Error): void;
}

/**
 * Threads that hash large files (docs/decisions.md): the first compile
 * with a new toolchain digests its shared libraries (hundreds of megabytes), and the outputs of
 * a cold build add as much again. In threads the libraries are hashed side by side, and the server's
 * event loop keeps answering hits meanwhile. Threads start when first needed and do not keep the
 * process alive when idle.
 */
export class HashWorkers {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Pending>();
  private readonly queue: Pending[] = [];
  private started = 0;
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly script: URL,
    private readonly size: number,
    private readonly options: HashWorkerOptions = {},
  ) {}

  digest(path: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.queue.push({ job: { id: this.nextId++, path }, resolve, reject });
      this.dispatch();
    });
  }

  /** Stops the threads; jobs in flight are rejected (their callers hash on the main thread). */
  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.queue.splice(0)) pending.reject(new Error('hashing threads closed'));
    const workers = [...this.idle, ...this.busy.keys()];
    this.idle.length = 0;
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const worker = this.idle.pop() ?? (this.started < this.size && !this.closed ? this.spawn() : undefined);
      if (!worker) return;
      const pending = this.queue.shift()!;
      this.busy.set(worker, pending);
      worker.ref();
      worker.postMessage(pending.job);
    }
  }

  private spawn(): Worker {
    this.started += 1;
    const worker = new Worker(this.script, { workerData: this.options });
    worker.on('message', (result: HashResult) => {
      const pending = this.busy.get(worker);
      this.busy.delete(worker);
      worker.unref();
      this.idle.push(worker);
      if (pending) {
        if ('digest' in result) pending.resolve(result.digest);
        else pending.reject(Object.assign(new Error(result.error), result.code ? { code: result.code } : {}));
      }
      this.dispatch();
    });
    // A thread that fails (it could not load, or crashed) is replaced by the next dispatch; its job fails.
    const retire = (error: Error): void => {
      const pending = this.busy.get(worker);
      this.busy.delete(worker);
      const index = this.idle.indexOf(worker);
      if (index !== -1) this.idle.splice(index, 1);
      this.started -= 1;
      pending?.reject(error);
      this.dispatch();
    };
    worker.on('error', retire);
    worker.on('exit', (code) => {
      if (this.busy.has(worker) || this.idle.includes(worker))
        retire(new Error(`hash thread exited with code ${code}`));
    });
    return worker;
  }
}
