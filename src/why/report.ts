import { CAUSE_TITLES, describeDifference, MISS_CAUSES, type Difference, type MissCause } from './differences.js';
import type { CompileRecord, SavedHistory, UnitRecords } from './history.js';

/* What `hoard why` prints: from the saved or live history (src/why/history.ts). Pure: no IO. */

export interface CompileView {
  at: string;
  outcome: 'hit' | 'miss';
  worktree: string;
  build: number;
  cause?: MissCause;
  differences?: Difference[];
  /** Dependencies that changed too, compiled anew for the same reason. */
  dependencies?: Difference[];
  comparedWith?: { at: string; worktree: string; outcome: 'hit' | 'miss' };
  baseDirsWouldHit?: boolean;
}

export interface UnitView {
  name: string;
  kind: string;
  path: string;
  /** Newest first. */
  compiles: CompileView[];
}

function view(record: CompileRecord): CompileView {
  const explanation = record.explanation;
  return {
    at: new Date(record.at).toISOString(),
    outcome: record.outcome,
    worktree: record.worktree.root,
    build: record.build,
    ...(explanation
      ? {
          cause: explanation.cause,
          differences: explanation.differences,
          ...(explanation.dependencies ? { dependencies: explanation.dependencies } : {}),
          ...(explanation.comparedWith
            ? {
                comparedWith: {
                  at: new Date(explanation.comparedWith.at).toISOString(),
                  worktree: explanation.comparedWith.worktreeRoot,
                  outcome: explanation.comparedWith.outcome,
                },
              }
            : {}),
          ...(explanation.baseDirsWouldHit ? { baseDirsWouldHit: true } : {}),
        }
      : {}),
  };
}

/** Whether a unit is what the user named: its crate or file name, its path, or the end of its path. */
export function unitMatches(unit: UnitRecords, query: string): boolean {
  const underscored = (name: string): string => name.replace(/-/g, '_');
  return (
    underscored(unit.name) === underscored(query) ||
    unit.path === query ||
    unit.path.endsWith(`/${query.replace(/^\.\//, '')}`)
  );
}

export function unitsNamed(history: SavedHistory, query: string, worktree?: string): UnitView[] {
  return (
    history.units
      .filter((unit) => unitMatches(unit, query))
      .map((unit) => ({
        name: unit.name,
        kind: unit.kind,
        path: unit.path,
        compiles: unit.records
          .filter((record) => worktree === undefined || record.worktree.root === worktree)
          .map(view)
          .reverse(),
      }))
      .filter((unit) => unit.compiles.length > 0)
      // The crate named exactly first (wt_core, then the build script of package wt-core), then the newest.
      .sort(
        (a, b) =>
          Number(b.name === query) - Number(a.name === query) || (a.compiles[0]!.at < b.compiles[0]!.at ? 1 : -1),
      )
  );
}

export interface LastBuildView {
  build: number | null;
  compiles: number;
  hits: number;
  misses: number;
  /** Misses by cause, causes in MISS_CAUSES order. */
  byCause: Array<{
    cause: MissCause;
    title: string;
    misses: Array<{ name: string; kind: string; path: string; worktree: string; differences: Difference[] }>;
  }>;
  baseDirsWouldHit: number;
  /** The worktrees its compiles belong to. */
  worktrees: string[];
}

/** The misses of the latest build (of one worktree, when given), grouped by cause. */
export function lastBuild(history: SavedHistory, worktree?: string): LastBuildView {
  const all = history.units.flatMap((unit) =>
    unit.records
      .filter((record) => worktree === undefined || record.worktree.root === worktree)
      .map((record) => ({ unit, record })),
  );
  const build = all.length === 0 ? null : Math.max(...all.map(({ record }) => record.build));
  const inBuild = all.filter(({ record }) => record.build === build).sort((a, b) => a.record.at - b.record.at);
  const misses = inBuild.filter(({ record }) => record.outcome === 'miss');
  const byCause = MISS_CAUSES.map((cause) => ({
    cause,
    title: CAUSE_TITLES[cause],
    misses: misses
      .filter(({ record }) => (record.explanation?.cause ?? 'evicted') === cause)
      .map(({ unit, record }) => ({
        name: unit.name,
        kind: unit.kind,
        path: unit.path,
        worktree: record.worktree.root,
        differences: record.explanation?.differences ?? [],
      })),
  })).filter((group) => group.misses.length > 0);
  return {
    build,
    compiles: inBuild.length,
    hits: inBuild.length - misses.length,
    misses: misses.length,
    byCause,
    baseDirsWouldHit: misses.filter(({ record }) => record.explanation?.baseDirsWouldHit).length,
    worktrees: [...new Set(inBuild.map(({ record }) => record.worktree.root))],
  };
}

export const BASEDIRS_HINT =
  'base directories would have made it a hit: hoard config set basedirs auto (or hoard init)';

function clock(iso: string): string {
  return iso.slice(11, 19);
}

function shortPath(path: string, home: string | undefined): string {
  return home && path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path;
}

/** Paths in the home directory written `~/…`, anywhere in a line. */
function tilde(line: string, home: string | undefined): string {
  return home && home.length > 1 ? line.split(`${home}/`).join('~/') : line;
}

export function formatUnits(units: readonly UnitView[], home?: string): string {
  const lines: string[] = [];
  for (const unit of units) {
    lines.push(`${unit.name} (${unit.kind}, ${shortPath(unit.path, home)})`);
    for (const compile of unit.compiles) {
      const where = compile.worktree ? shortPath(compile.worktree, home) : '(outside any repository)';
      if (compile.outcome === 'hit') {
        lines.push(`  ${clock(compile.at)}  hit   ${where}`);
        continue;
      }
      const cause = compile.cause ? CAUSE_TITLES[compile.cause] : 'not explained';
      const compared = compile.comparedWith
        ? `, compared with the ${compile.comparedWith.outcome} at ${clock(compile.comparedWith.at)}${compile.comparedWith.worktree !== compile.worktree ? ` in ${shortPath(compile.comparedWith.worktree, home)}` : ''}`
        : '';
      lines.push(`  ${clock(compile.at)}  miss  ${where}: ${cause}${compared}`);
      for (const difference of compile.differences ?? [])
        lines.push(`      ${tilde(describeDifference(difference, 60), home)}`);
      const dependencies = compile.dependencies ?? [];
      if (dependencies.length > 0)
        lines.push(
          `      (and so dependencies ${dependencies.map((difference) => difference.name).join(', ')} changed too)`,
        );
      if (compile.baseDirsWouldHit) lines.push(`      ${BASEDIRS_HINT}`);
    }
    lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

export function formatLastBuild(build: LastBuildView, home?: string): string {
  if (build.build === null) return 'No compiles remembered yet: run a build through hoard, then ask again.\n';
  const where = build.worktrees.map((root) => (root ? shortPath(root, home) : '(outside any repository)')).join(', ');
  const lines = [
    `last build${where ? ` (${where})` : ''}: ${build.compiles} cacheable compiles, ${build.hits} hits, ${build.misses} misses`,
  ];
  for (const group of build.byCause) {
    lines.push('', `${group.title} (${group.misses.length})`);
    for (const miss of group.misses) {
      const first = miss.differences[0];
      const more = miss.differences.length > 1 ? ` (+${miss.differences.length - 1} more)` : '';
      const label =
        miss.kind === 'rust library' || miss.kind === 'c' || miss.kind === 'c++'
          ? miss.name
          : `${miss.name} (${miss.kind.replace(/^rust /, '')})`;
      // The inputs the checkout's path is in are listed by 'hoard why CRATE'.
      const described = first
        ? describeDifference(first.input === 'checkout' ? { ...first, name: 'checkout path' } : first, 40)
        : '';
      lines.push(tilde(`  ${label.padEnd(20)} ${described}${more}`.trimEnd(), home));
    }
  }
  if (build.baseDirsWouldHit > 0)
    lines.push('', `${build.baseDirsWouldHit} of these misses differ only in the checkout's path: ${BASEDIRS_HINT}`);
  if (build.misses > 0)
    lines.push('', 'hoard why CRATE shows every difference of one crate; --json gives the full values.');
  return `${lines.join('\n')}\n`;
}
