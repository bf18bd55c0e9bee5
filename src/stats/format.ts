import { formatBytes, formatDuration } from '../config/units.js';
import { hitRate, sumOf } from './counters.js';
import type { StatsSnapshot } from './snapshot.js';

/** One-line advice for the most common reasons a compile is not cached. */
export const REASON_HINTS: Record<string, string> = {
  'crate-type': 'binaries, proc-macros, build scripts and tests are linked, and not cached yet',
  incremental: 'set CARGO_INCREMENTAL=0 (or profile incremental = false) to cache workspace crates',
  'missing-dep-info': 'the call had no --emit dep-info; cargo always passes it',
  'unknown-argument': 'an argument hoard does not know; see the error log and report it',
};

function row(label: string, value: string): string {
  return `${label.padEnd(34)} ${value}`;
}

export function formatStatsTable(snapshot: StatsSnapshot): string {
  const { counters, cache, server } = snapshot;
  const rate = hitRate(counters);
  const lines = [
    row('Compile requests', String(counters.requests)),
    row('Cache hits', String(counters.hits)),
    row('Cache misses', String(counters.misses)),
    row('Hit rate', rate === undefined ? '-' : `${(rate * 100).toFixed(1)} %`),
    row('Not cacheable', String(sumOf(counters.notCacheable))),
  ];
  const reasons = Object.entries(counters.notCacheable).sort(([, a], [, b]) => b - a);
  for (const [reason, count] of reasons) {
    const hint = REASON_HINTS[reason];
    lines.push(row(`  ${reason}`, `${count}${hint ? `    (${hint})` : ''}`));
  }
  lines.push(row('Non-compilation calls', String(counters.notCompilation)));
  lines.push(row('Failed compiles (not stored)', String(counters.failedCompiles)));
  lines.push(row('Errors', String(sumOf(counters.errors))));
  for (const [kind, count] of Object.entries(counters.errors).sort(([, a], [, b]) => b - a)) lines.push(row(`  ${kind}`, String(count)));
  lines.push(row('Compile time saved', formatDuration(counters.timeSavedMs)));
  lines.push(row('Restored from cache', formatBytes(counters.bytesRestored)));
  lines.push(row('Written to cache', formatBytes(counters.bytesStored)));
  lines.push(row('Cache size', `${formatBytes(cache.sizeBytes)} of ${formatBytes(cache.limitBytes)} (${cache.entries} entries)`));
  lines.push(row('Cache directory', cache.dir));
  lines.push(row('Counting since', snapshot.since));
  lines.push(
    row('Server', server.running ? `running (pid ${server.pid}, version ${server.version}, up ${formatDuration(server.uptimeMs ?? 0)})` : 'not running (showing saved statistics)'),
  );
  return `${lines.join('\n')}\n`;
}
