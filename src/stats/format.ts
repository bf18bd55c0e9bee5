import { formatBytes, formatDuration } from './format-units.js';
import { hitRate, sumOf, type Counters } from './counters.js';
import { formatRemoteLines } from './format-remotes.js';
import type { StatsSnapshot } from './snapshot.js';

/**
 * One line for each reason a compile is not cached: what it means, and what to do when there is
 * anything to do. `hoard stats`, the dashboard and `hoard doctor` show it; docs/troubleshooting.md
 * explains each at length (a test keeps both complete).
 */
export const REASON_HINTS: Record<string, string> = {
  argfile: 'an @argfile hoard cannot read (rustc @shell:…, or any C/C++ response file); it compiles uncached',
  'crate-type': 'a call without --crate-type, or of a crate type hoard does not know',
  emit: 'output hoard does not store (rustc --emit asm/llvm-ir or a path of its own, C/C++ -S); runs uncached',
  incremental: 'set CARGO_INCREMENTAL=0 (or profile incremental = false) to cache workspace crates',
  language: 'a source hoard does not know the language of (not C, C++ or assembler); it compiles uncached',
  link: 'a C/C++ call that links, which is not cached (only -c compiles are); expected once per binary',
  'linked-crate-off': 'this kind of linked crate is left out of linked_crates in the config',
  'linker-not-found': 'the linker of a linked crate (-C linker, or cc) is not on PATH; see the error log',
  'missing-dep-info': 'no --emit dep-info: usually a build script probing the compiler (anyhow does); harmless',
  'multiple-inputs': 'more than one source in one call; compile them one by one to cache them',
  'output-file': 'an output named where hoard cannot restore it (rustc -o, a C dependency file elsewhere)',
  pch: 'precompiled headers are not cached; the compiles that use them run directly',
  preprocess: 'a C/C++ call that only preprocesses (-E, -M): the cc crate probes compilers this way; harmless',
  probe:
    "a configure probe (conftest.c, CMake's try_compile, Meson's checks): a throwaway source, run uncached on purpose",
  profile: 'profile-guided or coverage builds read or write profiles hoard cannot key on; they run uncached',
  'save-temps': '-save-temps (-C save-temps) leaves files hoard does not collect; drop it to cache',
  'split-debuginfo': 'split debug info (.dwo files) is not collected yet; use -C split-debuginfo=off to cache',
  stdin: 'the source came from standard input, which hoard cannot key on',
  sysroot: '--sysroot names a standard library hoard cannot identify; it compiles uncached',
  'time-macro': 'the source or a header uses __DATE__ or __TIME__: each compile differs, so it is not stored',
  'unknown-argument': 'an argument hoard does not know, or one that writes files of its own; please report it',
};

function row(label: string, value: string): string {
  return `${label.padEnd(34)} ${value}`;
}

/** Why misses missed, as `hoard why` explains them (the names of src/why/differences.ts MISS_CAUSES). */
export const MISS_CAUSE_TITLES: Record<string, string> = {
  'first-build': 'first build',
  sources: 'sources',
  arguments: 'arguments',
  features: 'features',
  environment: 'environment',
  dependencies: 'dependencies',
  toolchain: 'toolchain',
  linker: 'linker',
  location: 'checkout path',
  evicted: 'entry gone',
};

/** Misses by cause, most first, in one phrase: "12 first build, 3 sources". */
export function missCausePhrase(counters: Counters): string {
  return Object.entries(counters.missCauses)
    .filter(([, count]) => count > 0)
    .sort(([, a], [, b]) => b - a)
    .map(([cause, count]) => `${count} ${MISS_CAUSE_TITLES[cause] ?? cause}`)
    .join(', ');
}

function missCauseRows(counters: Counters): string[] {
  const rows = Object.entries(counters.missCauses)
    .sort(([, a], [, b]) => b - a)
    .map(([cause, count]) => row(`  ${MISS_CAUSE_TITLES[cause] ?? cause}`, String(count)));
  if (counters.baseDirsWouldHit > 0)
    rows.push(
      row(
        '  (would hit with basedirs)',
        `${counters.baseDirsWouldHit}    (hoard config set basedirs auto; 'hoard why' names each)`,
      ),
    );
  return rows;
}

export function formatStatsTable(snapshot: StatsSnapshot): string {
  const { counters, cache, server } = snapshot;
  const rate = hitRate(counters);
  const lines = [
    row('Compile requests', String(counters.requests)),
    row('Cache hits', String(counters.hits)),
    row('Cache misses', String(counters.misses)),
    ...missCauseRows(counters),
    row('Hit rate', rate === undefined ? '-' : `${(rate * 100).toFixed(1)} %`),
    row('Not cacheable', String(sumOf(counters.notCacheable))),
  ];
  const reasons = Object.entries(counters.notCacheable).sort(([, a], [, b]) => b - a);
  for (const [reason, count] of reasons) {
    const hint = REASON_HINTS[reason];
    lines.push(row(`  ${reason}`, `${count}${hint ? `    (${hint})` : ''}`));
  }
  const kinds = Object.entries(counters.byKind).sort(([, a], [, b]) => b.requests - a.requests);
  if (kinds.length > 0) lines.push(row('By kind', 'requests / hits / misses / not cacheable'));
  for (const [kind, tally] of kinds)
    lines.push(row(`  ${kind}`, `${tally.requests} / ${tally.hits} / ${tally.misses} / ${tally.notCacheable}`));
  lines.push(row('Non-compilation calls', String(counters.notCompilation)));
  lines.push(row('Failed compiles (not stored)', String(counters.failedCompiles)));
  lines.push(row('Errors', String(sumOf(counters.errors))));
  for (const [kind, count] of Object.entries(counters.errors).sort(([, a], [, b]) => b - a))
    lines.push(row(`  ${kind}`, String(count)));
  lines.push(row('Compile time saved', formatDuration(counters.timeSavedMs)));
  lines.push(row('Restored from cache', formatBytes(counters.bytesRestored)));
  lines.push(row('Written to cache', formatBytes(counters.bytesStored)));
  lines.push(...formatRemoteLines(snapshot, row));
  lines.push(
    row('Cache size', `${formatBytes(cache.sizeBytes)} of ${formatBytes(cache.limitBytes)} (${cache.entries} entries)`),
  );
  lines.push(row('Cache directory', cache.dir));
  lines.push(row('Counting since', snapshot.since));
  lines.push(
    row(
      'Server',
      server.running
        ? `running (pid ${server.pid}, version ${server.version}, up ${formatDuration(server.uptimeMs ?? 0)})`
        : 'not running (showing saved statistics)',
    ),
  );
  return `${lines.join('\n')}\n`;
}

export interface WorktreeRow {
  id: string;
  name: string;
  root: string;
  branch: string;
  repository: string;
  lastActivity: string;
  counters: StatsSnapshot['counters'];
  hitRate: number | null;
  /** Where this worktree's hits came from: producer worktrees, most hits first. */
  servedBy: Array<{ id: string; name: string; root: string; hits: number }>;
}

/** Worktrees with their statistics, most recently active first. */
export function worktreeRows(snapshot: StatsSnapshot): WorktreeRow[] {
  return Object.entries(snapshot.worktrees)
    .map(([id, record]) => ({
      id,
      ...record.worktree,
      lastActivity: record.lastActivity,
      counters: record.counters,
      hitRate: hitRate(record.counters) ?? null,
      servedBy: Object.entries(record.servedBy)
        .sort(([, a], [, b]) => b - a)
        .map(([producer, hits]) => {
          const known = snapshot.worktrees[producer]?.worktree ?? snapshot.knownWorktrees?.[producer];
          return { id: producer, name: known?.name ?? producer, root: known?.root ?? '', hits };
        }),
    }))
    .sort((a, b) => (a.lastActivity < b.lastActivity ? 1 : a.lastActivity > b.lastActivity ? -1 : 0));
}

export function shortPath(path: string, home: string | undefined): string {
  return home && path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path;
}

export function formatWorktreeTable(snapshot: StatsSnapshot, home = process.env.HOME): string {
  const rows = worktreeRows(snapshot);
  if (rows.length === 0) return 'No compiles recorded yet.\n';
  const header = ['REPOSITORY', 'WORKTREE', 'BRANCH', 'REQUESTS', 'HITS', 'MISSES', 'NOT CACHED', 'HIT RATE', 'SAVED'];
  const table = rows.map((row) => [
    row.name,
    row.root ? shortPath(row.root, home) : '-',
    row.branch || '-',
    String(row.counters.requests),
    String(row.counters.hits),
    String(row.counters.misses),
    String(sumOf(row.counters.notCacheable)),
    row.hitRate === null ? '-' : `${(row.hitRate * 100).toFixed(1)} %`,
    formatDuration(row.counters.timeSavedMs),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...table.map((cells) => cells[column]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => (column >= 3 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  const lines = [line(header), ...table.map(line)];
  for (const row of rows) {
    if (row.servedBy.length === 0) continue;
    const sources = row.servedBy.map(
      (source) =>
        `${source.hits} from ${source.id === row.id ? 'itself' : source.root ? shortPath(source.root, home) : source.name}`,
    );
    lines.push(`hits in ${row.root ? shortPath(row.root, home) : row.name}: ${sources.join(', ')}`);
  }
  for (const row of rows) {
    const causes = missCausePhrase(row.counters);
    if (causes) lines.push(`misses in ${row.root ? shortPath(row.root, home) : row.name}: ${causes}`);
  }
  return `${lines.join('\n')}\n`;
}
