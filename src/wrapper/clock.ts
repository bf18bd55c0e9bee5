/**
 * Milliseconds on a monotonic clock, for the wrapper's deadlines and durations. Not performance.now():
 * in Node 20 the first use of the `performance` global loads perf_hooks, 1.3–1.8 ms measured here, on
 * every wrapper start; process.hrtime is already loaded.
 */
export function monotonicMs(): number {
  const [seconds, nanoseconds] = process.hrtime();
  return seconds * 1000 + nanoseconds / 1e6;
}
