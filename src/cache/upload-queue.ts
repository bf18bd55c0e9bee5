/*
 * Uploads run in the background, a few at a time: a compile's reply never waits for one. The queue is
 * bounded (a remote slower than the build drops uploads instead of holding memory without end) and
 * drained when the server stops.
 */

export interface UploadQueueOptions {
  /** Jobs waiting at most; one more is dropped (and reported). */
  limit: number;
  /** Jobs running at once. */
  concurrency: number;
  /** Called for a job dropped because the queue was full. */
  onDropped(): void;
  /** Called when a job throws (it is not retried). */
  onFailed(error: unknown): void;
}

export class UploadQueue {
  private readonly waiting: Array<() => Promise<void>> = [];
  private running = 0;
  private idle: Array<() => void> = [];

  constructor(private readonly options: UploadQueueOptions) {}

  /** Jobs waiting or running. */
  get length(): number {
    return this.waiting.length + this.running;
  }

  /** Queues a job; false (and onDropped) when the queue is full. */
  push(job: () => Promise<void>): boolean {
    if (this.waiting.length >= this.options.limit) {
      this.options.onDropped();
      return false;
    }
    this.waiting.push(job);
    this.pump();
    return true;
  }

  private pump(): void {
    while (this.running < this.options.concurrency && this.waiting.length > 0) {
      const job = this.waiting.shift()!;
      this.running += 1;
      void job()
        .catch((error: unknown) => this.options.onFailed(error))
        .finally(() => {
          this.running -= 1;
          this.pump();
          if (this.length === 0) for (const resolve of this.idle.splice(0)) resolve();
        });
    }
  }

  /** Resolves once every queued job has finished (or `timeoutMs` passed); true when the queue is empty. */
  drain(timeoutMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    if (this.length === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = Number.isFinite(timeoutMs) ? setTimeout(() => resolve(this.length === 0), timeoutMs) : undefined;
      this.idle.push(() => {
        if (timer) clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
