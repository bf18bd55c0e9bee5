/**
 * One compile per key at a time: a request that finds the same key being compiled waits for that
 * compile (bounded) and then looks in the cache again, instead of compiling it a second time.
 */
export class SingleFlight {
  private readonly running = new Map<string, Promise<void>>();

  /** Claims the key; returns the release function, or undefined if someone else holds it. */
  claim(key: string): (() => void) | undefined {
    if (this.running.has(key)) return undefined;
    let release!: () => void;
    const done = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.running.set(key, done);
    return () => {
      if (this.running.get(key) === done) this.running.delete(key);
      release();
    };
  }

  /** Resolves true when the current holder is done, false when the wait timed out. */
  async waitFor(key: string, timeoutMs: number): Promise<boolean> {
    const done = this.running.get(key);
    if (!done) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([done.then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
