/**
 * Milliseconds on a monotonic clock, for the wrapper's deadlines and durations. Not performance.now():
 * in Node 20 the first use of the `performance` global loads perf_hooks on every wrapper start
 * (docs/decisions.md); process.hrtime is already loaded.
 */
export function monotonicMs(): number {
  const [seconds, nanoseconds] = process.hrtime();
  return seconds * 1000 + nanoseconds / 1e6;
}
