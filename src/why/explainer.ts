import { isAbsolute, relative } from 'node:path';
import { readFileSync } from 'node:fs';
import type { ManifestEntry } from '../cache/manifest-store.js';
import type { DigestMemo } from '../hash/digest-memo.js';
import { writeAtomically } from '../fs/write-atomically.js';
import { digestBytes } from '../hash/blake3.js';
import { increment, type Counters } from '../stats/counters.js';
import { BASE_TOKEN } from '../worktree/base-dir.js';
import type { Worktree } from '../worktree/locate.js';
import {
  CAUSE_TITLES,
  describeDifference,
  differencesAcrossCheckouts,
  explainingDifferences,
  mostTellingFirst,
  sectionDifferences,
  shortDifference,
  withoutRoot,
  type Difference,
  type KeyInputs,
  type Section,
} from './differences.js';
import { BUILD_GAP_MS, UnitHistory, type CompileRecord, type Explanation, type UnitDescription } from './history.js';

/** What a handler tells about a cacheable compile so its misses can be explained. */
export interface WhyInputs extends UnitDescription {
  /** The direct key's labelled inputs, as hashed. */
  sections: readonly Section[];
  /** The compiler as people name it: path and version. */
  compiler: string;
  /** The compile's base directory, when it has one. */
  baseDir?: string;
  /** Whether any base directory is configured (`basedirs`): without, a miss that only the path explains is counted. */
  baseDirsConfigured?: boolean;
}

/** The part of a cacheable compile the explainer reads (a CacheableCompile has all of it). */
export interface ObservedCompile {
  worktree: Worktree;
  direct: string;
  lookup: { path(recorded: string): string; env(name: string): string | null };
  why?: WhyInputs;
}

/** A miss's explanation as the stream of latest compiles carries it. */
export interface MissSummary {
  cause: string;
  /** The most telling difference, or the cause, in a word or two (the dashboard's rows). */
  short: string;
  /** One line per difference, most telling first. */
  lines: string[];
}

/** Watches cacheable compiles (src/server/compile-flow.ts calls it). */
export interface CompileObserver {
  hit(compile: ObservedCompile, resultKey: string): void;
  /** The compile missed: explains it (never throws). */
  miss(compile: ObservedCompile): Promise<MissSummary | undefined>;
  stored(compile: ObservedCompile, resultKey: string): void;
}

export interface ExplainerDependencies {
  /** The remembered source combinations of a direct key (the manifest). */
  combinations(direct: string): Promise<readonly ManifestEntry[]>;
  memo: Pick<DigestMemo, 'digest'>;
  /** Counts a miss's cause. */
  count(worktree: Worktree, change: (counters: Counters) => void): void;
  /** Where the history is kept between servers; none in tests. */
  path?: string;
  now?: () => number;
}

/** Saved at most this often while builds run (the file can be megabytes), and at exit. */
const SAVE_DELAY_MS = 10_000;

/** Variables whose values are secrets: kept in the history (a file) by digest, which still tells a change. */
const SECRET_NAME = /TOKEN|SECRET|PASSWORD|CREDENTIAL/i;

function redacted(sections: readonly Section[]): Section[] {
  return sections.map(([label, value]) => {
    const name = value.slice(0, Math.max(0, value.indexOf('=')));
    return /env$/.test(label) && SECRET_NAME.test(name)
      ? ([label, `${name}=<digest ${digestBytes(value).slice(0, 12)}>`] as const)
      : ([label, value] as const);
  });
}

/** A path or value with cargo's hash of a unit's settings (`wt-core-1f2e…`) written as a placeholder. */
function withoutUnitHash(value: string): string {
  return value.replace(/-[0-9a-f]{16}(?=\/|$)/g, '-<hash>');
}

/** How a recorded source path is named to people: relative to its base directory or checkout. */
function shownPath(recorded: string, root: string): string {
  if (recorded.startsWith(`${BASE_TOKEN}/`)) return recorded.slice(BASE_TOKEN.length + 1);
  if (root && isAbsolute(recorded) && recorded.startsWith(`${root}/`)) return relative(root, recorded);
  return recorded;
}

export function summarise(explanation: Explanation): MissSummary {
  const first = explanation.differences[0];
  const lines = explanation.differences.map((difference) => describeDifference(difference));
  const dependencies = explanation.dependencies ?? [];
  if (dependencies.length > 0)
    lines.push(
      `(and so ${dependencies.length === 1 ? 'its dependency' : `${dependencies.length} dependencies`} ${dependencies.map((difference) => difference.name).join(', ')} changed too)`,
    );
  if (explanation.baseDirsWouldHit)
    lines.push('base directories would have made this a hit: set basedirs = ["auto"] (hoard init)');
  return {
    cause: explanation.cause,
    short: first ? shortDifference(first) : explanation.cause === 'first-build' ? 'first build' : 'entry gone',
    lines: lines.length > 0 ? lines : [CAUSE_TITLES[explanation.cause]],
  };
}

export class MissExplainer implements CompileObserver {
  readonly history: UnitHistory;
  private readonly live = new WeakMap<ObservedCompile, CompileRecord>();
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();
  private build: number;
  private lastActivity = 0;

  constructor(private readonly deps: ExplainerDependencies) {
    this.now = deps.now ?? Date.now;
    this.history = new UnitHistory(deps.path ? readSaved(deps.path) : undefined);
    this.build = this.history.latestBuild();
  }

  /** Something finished or was decided (any compile, cacheable or not): the build goes on. */
  noteActivity(): void {
    this.lastActivity = this.now();
  }

  /** The build a compile happening now belongs to. */
  private currentBuild(): number {
    const now = this.now();
    if (now - this.lastActivity > BUILD_GAP_MS) this.build += 1;
    this.lastActivity = now;
    return this.build;
  }

  hit(compile: ObservedCompile, resultKey: string): void {
    if (!compile.why) return;
    this.record(compile, 'hit', resultKey);
  }

  stored(compile: ObservedCompile, resultKey: string): void {
    const record = this.live.get(compile);
    this.lastActivity = this.now();
    if (record) {
      record.result = resultKey;
      this.scheduleSave();
    }
  }

  async miss(compile: ObservedCompile): Promise<MissSummary | undefined> {
    const why = compile.why;
    if (!why) return undefined;
    try {
      const earlier = [...this.history.records(why.unit)];
      const record = this.record(compile, 'miss');
      const explanation = await this.explain(compile, why, earlier);
      record.explanation = explanation;
      this.deps.count(compile.worktree, (counters) => {
        increment(counters.missCauses, explanation.cause);
        if (explanation.baseDirsWouldHit) counters.baseDirsWouldHit += 1;
      });
      this.scheduleSave();
      return summarise(explanation);
    } catch {
      return undefined;
    }
  }

  private record(compile: ObservedCompile, outcome: 'hit' | 'miss', result?: string): CompileRecord {
    const why = compile.why!;
    const record: CompileRecord = {
      at: this.now(),
      build: this.currentBuild(),
      outcome,
      worktree: { id: compile.worktree.id, root: compile.worktree.root },
      direct: compile.direct,
      ...(result ? { result } : {}),
      compiler: why.compiler,
      ...(why.baseDir ? { baseDir: why.baseDir } : {}),
    };
    this.history.add(why, record, this.history.sections(compile.direct) ? [] : redacted(why.sections));
    this.live.set(compile, record);
    this.scheduleSave();
    return record;
  }

  /** Compares the compile with the nearest earlier one of its unit: the one with the fewest differences, the newest of equals. */
  private async explain(
    compile: ObservedCompile,
    why: WhyInputs,
    earlier: readonly CompileRecord[],
  ): Promise<Explanation> {
    const now = { sections: redacted(why.sections), compiler: why.compiler, root: compile.worktree.root };
    let nearest: { record: CompileRecord; differences: Difference[]; weight: number } | undefined;
    for (const record of [...earlier].reverse()) {
      const sections = this.history.sections(record.direct);
      if (!sections) continue;
      const differences = differencesAcrossCheckouts(
        { sections, root: record.worktree.root, ...(record.compiler ? { compiler: record.compiler } : {}) },
        now,
        compareWithoutUnitHashes,
      );
      const weight = differences.filter((difference) => !difference.derived).length;
      if (!nearest || weight < nearest.weight) nearest = { record, differences, weight };
    }
    if (!nearest) return { cause: 'first-build', differences: [] };
    const { record } = nearest;
    const manifest = await this.manifestDifferences(compile, record);
    // An env! value that differs only in cargo's unit hash (OUT_DIR) is what another difference caused.
    const differences = [
      ...nearest.differences,
      ...manifest.differences,
      ...manifest.derived.map((difference) => ({ ...difference, derived: true as const })),
    ];
    const { differences: ordered, dependencies } = explainingDifferences(
      foldCheckoutPaths(mostTellingFirst(differences), record.worktree.root, compile.worktree.root),
    );
    const explanation: Explanation = {
      cause: ordered[0]?.cause ?? 'evicted',
      differences: ordered,
      ...(dependencies.length > 0 ? { dependencies } : {}),
      comparedWith: { at: record.at, worktreeRoot: record.worktree.root, outcome: record.outcome },
    };
    if (
      ordered.length > 0 &&
      ordered.every((difference) => difference.cause === 'location') &&
      !why.baseDir &&
      !why.baseDirsConfigured
    )
      explanation.baseDirsWouldHit = true;
    return explanation;
  }

  /** The sources and env! values the earlier compile read, as they are for this one. */
  private async manifestDifferences(
    compile: ObservedCompile,
    record: CompileRecord,
  ): Promise<{ differences: Difference[]; derived: Difference[] }> {
    const combinations = await this.deps.combinations(record.direct).catch(() => []);
    const combination = combinations.find((entry) => entry.resultKey === record.result) ?? combinations[0];
    if (!combination) return { differences: [], derived: [] };
    const oldRoot = record.worktree.root;
    const newRoot = compile.worktree.root;
    const moved = (path: string): string =>
      oldRoot && newRoot && oldRoot !== newRoot && path.startsWith(`${oldRoot}/`)
        ? newRoot + path.slice(oldRoot.length)
        : path;
    const differences: Difference[] = [];
    const digests = await Promise.all(
      combination.files.map(
        async ([recorded]) =>
          (await this.deps.memo.digest(compile.lookup.path(moved(recorded))).catch(() => undefined)) ?? null,
      ),
    );
    combination.files.forEach(([recorded, digest], index) => {
      const current = digests[index]!;
      if (current !== digest)
        differences.push({
          cause: 'sources',
          input: 'source',
          name: shownPath(recorded, oldRoot),
          old: digest,
          new: current,
        });
    });
    const derived: Difference[] = [];
    for (const [name, value] of combination.envDeps) {
      const current = compile.lookup.env(name);
      if (current === value) continue;
      const difference: Difference = { cause: 'environment', input: 'env-dep', name, old: value, new: current };
      if (
        value !== null &&
        current !== null &&
        withoutUnitHash(withoutRoot(value, oldRoot)) === withoutUnitHash(withoutRoot(current, newRoot))
      ) {
        // The same path in another checkout, or another of cargo's unit directories: what the other differences cause.
        if (withoutRoot(value, oldRoot) === withoutRoot(current, newRoot))
          differences.push({ ...difference, cause: 'location' });
        else derived.push(difference);
      } else differences.push(difference);
    }
    return { differences, derived };
  }

  private scheduleSave(): void {
    if (!this.deps.path || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.save();
    }, SAVE_DELAY_MS);
    this.timer.unref();
  }

  save(): Promise<void> {
    const path = this.deps.path;
    if (!path) return Promise.resolve();
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const text = JSON.stringify(this.history);
    this.saving = this.saving.then(() => writeAtomically(path, text).catch(() => undefined));
    return this.saving;
  }
}

/** Section differences where only cargo's unit hashes differ are what another difference caused. */
function compareWithoutUnitHashes(old: KeyInputs, now: KeyInputs): Difference[] {
  const raw = sectionDifferences(old, now);
  const strip = (inputs: KeyInputs): KeyInputs => ({
    ...inputs,
    sections: inputs.sections.map(([label, value]) => [label, withoutUnitHash(value)] as const),
  });
  const real = new Set(
    sectionDifferences(strip(old), strip(now)).map((difference) => `${difference.input}\0${difference.name}`),
  );
  return raw.map((difference) =>
    real.has(`${difference.input}\0${difference.name}`) ? difference : { ...difference, derived: true as const },
  );
}

/** Location differences from the manifest join the one checkout-path difference of the sections. */
function foldCheckoutPaths(differences: Difference[], oldRoot: string, newRoot: string): Difference[] {
  const locations = differences.filter(
    (difference) => difference.cause === 'location' && difference.input === 'env-dep',
  );
  if (locations.length === 0) return differences;
  const rest = differences.filter((difference) => !locations.includes(difference));
  const checkout = rest.find((difference) => difference.input === 'checkout');
  const names = locations.map((difference) => `env! ${difference.name}`);
  if (checkout) {
    checkout.name = checkout.name.replace(/\)$/, `, ${names.join(', ')})`);
    return rest;
  }
  return mostTellingFirst([
    ...rest,
    {
      cause: 'location',
      input: 'checkout',
      name: `checkout path (in ${names.join(', ')})`,
      old: oldRoot,
      new: newRoot,
    },
  ]);
}

function readSaved(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}
