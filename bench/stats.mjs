// Small statistics shared by bench/run.mjs and bench/c.mjs. Node built-ins only.
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
export function mean(values) {
  return values.reduce((a, b) => a + b, 0) / values.length;
}
export function stddev(values) {
  const m = mean(values);
  return Math.sqrt(values.reduce((sum, v) => sum + (v - m) ** 2, 0) / Math.max(1, values.length - 1));
}
