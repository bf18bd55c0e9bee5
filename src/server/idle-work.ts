/**
 * Work that waits until the builds pause: jobs run one at a time, each once no activity (a compile
 * request) was seen for `quietMs`, and a job is not started while requests keep coming. Bounded: past
 * `limit` waiting jobs, new ones are dropped. Its timers never keep the server alive.
 */
export class IdleWork {
  private readonly queue: Array<() => Promise<void>> = [];
  private lastActivity: number;
  private running = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly quietMs: number,
    private readonly limit: number,
    private readonly now: () => number = Date.now,
  ) {
    this.lastActivity = now();
  }

  /** A compile request came in: what is waiting waits another `quietMs`. */
  activity(): void {
    this.lastActivity = this.now();
  }

  /** False when the job is dropped (too many waiting). A job's failure is its own business: it never throws here. */
  add(job: () => Promise<void>): boolean {
    if (this.queue.length >= this.limit) return false;
    this.queue.push(job);
    this.schedule();
    return true;
  }

  get waiting(): number {
    return this.queue.length;
  }

  private schedule(): void {
    if (this.timer || this.running || this.queue.length === 0) return;
    const wait = Math.max(0, this.lastActivity + this.quietMs - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.runNext();
    }, wait);
    this.timer.unref();
  }

  private async runNext(): Promise<void> {
    if (this.now() - this.lastActivity < this.quietMs) return this.schedule();
    const job = this.queue.shift();
    if (!job) return;
    this.running = true;
    try {
      await job();
    } catch {
      // A job handles its own failures (it logs them); the next one still runs.
    } finally {
      this.running = false;
      this.schedule();
    }
  }
}
