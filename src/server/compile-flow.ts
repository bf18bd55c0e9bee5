import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import {
  CorruptEntry,
  type FoundEntry,
  type OutputFile,
  type RestorePlan,
  type StagedOutputs,
} from '../cache/disk-store.js';
import type { CountChange, TieredStore } from '../cache/tiered-store.js';
import { fromTemplate, hasTemplate, toTemplate, type BuildPlaces } from '../cache/path-template.js';
import { resultKey, type ManifestInputs } from '../compiler/result-key.js';
import type { DigestMemo } from '../hash/digest-memo.js';
import type { RestoreFile, StoreRequest } from '../protocol/messages.js';
import { increment, tallyKind, type Counters } from '../stats/counters.js';
import type { Worktree } from '../worktree/locate.js';
import type { Exchange } from './exchange.js';
import type { CompileReport } from './live-feed.js';
import type { Logger } from './logger.js';
import type { SingleFlight } from './single-flight.js';
import type { StatsStore } from '../stats/stats-store.js';
import type { CompileObserver, WhyInputs } from '../why/explainer.js';

/*
 * What happens to a cacheable compile once its direct key is known, whatever the compiler: serve a
 * hit, or have the wrapper compile (one wrapper per key at a time) and store what it produced.
 */

/** How long a request waits for another wrapper compiling the same key before compiling itself. */
export const SAME_KEY_WAIT_MS = 10 * 60_000;
/** How long the server waits for a wrapper to write a hit's files: copies of a few hundred megabytes at most. */
const RESTORE_REPORT_WAIT_MS = 5 * 60_000;
/** How long the server waits for a wrapper to report its compile; a wrapper that dies hangs up sooner. */
const STORE_REPORT_WAIT_MS = 6 * 60 * 60_000;

export interface CompileFlowDependencies {
  /** The local disk, then the remotes. */
  store: TieredStore;
  memo: DigestMemo;
  stats: StatsStore;
  singleFlight: SingleFlight;
  log: Logger;
  afterStore(): void;
  onCompile?(report: CompileReport): void;
  /** Told of every cacheable compile's outcome: what explains misses (src/why/). */
  observer?: CompileObserver;
}

/**
 * What a finished compile leaves to store, or why it is not stored. The outputs are taken before the
 * wrapper is answered (cargo may delete them as soon as it is); the manifest, which digests every
 * source the compile read, is worked out after, off the build's critical path.
 */
export type Collected =
  | { outputs: OutputFile[]; manifest(): Promise<ManifestInputs | { refused: string }> }
  | { refused: string };

/** What came of offering a hit: served, nothing to serve, or a damaged entry that the compile now replaces. */
type Served = 'served' | 'unserved' | 'corrupt';

/** How long a wrapper is told to wait while the server looks for the entry under a second key. */
const FALLBACK_WAIT_MS = 2 * 60_000;

/** A second key an entry may be stored under, found after a direct miss (C: the preprocessed output's). */
export interface FallbackKey {
  key: string;
  /** An entry stored under another key that this key stands for (C: a miss stored in depend mode, its preprocessed key worked out later). */
  alias?: string;
  /** What the direct key's manifest records when an entry is found under it, so the next request hits directly. */
  manifest: ManifestInputs;
  /** Files written with the entry's outputs, instead of any at the same path: what is known without compiling (C: this compile's dependency file). */
  overrides?: RestoreFile[];
}

/** One cacheable compile, as the compiler's handler describes it. */
export interface CacheableCompile {
  worktree: Worktree;
  /** Kind for the statistics ('rust library', 'c', …) and the name shown in the stream of compiles. */
  kind: string;
  label: string;
  cwd: string;
  receivedAt: number;
  direct: string;
  places: BuildPlaces;
  /** How a manifest's recorded paths and environment values are checked against this request. */
  lookup: { path(recorded: string): string; env(name: string): string | null };
  /** Arguments the wrapper adds to the compile. */
  extraArgs?: string[];
  /** After a direct miss: the second key, or undefined when there is none (never throws). */
  fallback?(): Promise<FallbackKey | undefined>;
  /**
   * Asked after a direct miss: 'after' when no entry can be under the fallback key yet (C: a shape
   * never preprocessed), so the wrapper compiles at once and the fallback key is worked out after its
   * reply, only to store under it; 'never' when it is not worked out at all (the entry is stored under
   * the direct key's result key). Without it, 'before'.
   */
  fallbackWhen?(): Promise<'before' | 'after' | 'never'>;
  /** False when only the fallback key may serve a hit: its entries lack an output the fallback writes. */
  directHits?: boolean;
  /** Whether an entry found under the direct key holds all this compile must write (else only the fallback may serve it). */
  servable?(entry: FoundEntry['entry']): boolean;
  /** After the compile succeeded: what to store (see Collected). */
  collect(): Promise<Collected>;
  /** The unit and the labelled key inputs, for explaining a miss (src/why/). */
  why?: WhyInputs;
  /** Once the wrapper was told to compile: runs when the compile is stored or given up. */
  cleanup?(): Promise<void>;
}

function base64(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64');
}

/** Compiler output that names the out-dir is stored with a placeholder, when it is text that survives a round trip. */
function templatedOutput(encoded: string, places: BuildPlaces): string {
  const bytes = Buffer.from(encoded, 'base64');
  const decoded = bytes.toString('utf8');
  if (!Buffer.from(decoded, 'utf8').equals(bytes)) return encoded;
  return base64(toTemplate(decoded, places));
}

function restoredOutput(encoded: string, places: BuildPlaces): string {
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  return hasTemplate(decoded) ? base64(fromTemplate(decoded, places)) : encoded;
}

/**
 * Digests the files a compile read, for its manifest. Undefined when one changed after the request
 * came in: the outputs may be of the old text, the digest would be of the new.
 */
export async function digestReadFiles(
  memo: DigestMemo,
  recorded: readonly string[],
  cwd: string,
  receivedAt: number,
  record: (path: string) => string = (path) => path,
): Promise<ManifestInputs['files'] | { changed: string }> {
  // All at once: the reads overlap in the thread pool, and a crate can have hundreds of sources.
  const digested = await Promise.all(
    recorded.map(async (source) => {
      const path = isAbsolute(source) ? source : resolve(cwd, source);
      const digest = await memo.digest(path);
      // After the digest: a file rewritten while it was read shows a new mtime here.
      const info = statSync(path, { throwIfNoEntry: false });
      const changed = info !== undefined && Math.max(info.mtimeMs, info.ctimeMs) > receivedAt;
      return { source, digest, changed };
    }),
  );
  const changed = digested.find((file) => file.changed);
  if (changed) return { changed: changed.source };
  return digested.map(({ source, digest }): [string, string | null] => [record(source), digest ?? null]);
}

/** Whether each file the entry's own output would be restored as at its path is byte for byte the text given. */
export async function entryHolds(
  found: FoundEntry,
  places: BuildPlaces,
  files: readonly RestoreFile[],
): Promise<boolean> {
  for (const file of files) {
    if (!('text' in file)) return false;
    const index = found.entry.outputs.findIndex(
      (output) => (places.elsewhere?.[output.name] ?? join(places.outDir, output.name)) === file.path,
    );
    if (index === -1) return false;
    const output = found.entry.outputs[index]!;
    const stored = await readFile(join(found.dir, String(index)), 'utf8').catch(() => undefined);
    if (stored === undefined || (output.templated ? fromTemplate(stored, places) : stored) !== file.text) return false;
  }
  return true;
}

export class CompileFlow {
  constructor(private readonly deps: CompileFlowDependencies) {}

  /** Answers a cacheable compile: a hit, or `run` and then the store of what the wrapper compiled. */
  async answer(compile: CacheableCompile, exchange: Exchange): Promise<void> {
    const { stats, log } = this.deps;
    const count = (change: (counters: Counters) => void): void => stats.updateFor(compile.worktree, change);
    // Whether the wrapper has its answer (hit or run); a 'wait' is not one, so an error after it still
    // tells the wrapper to compile instead of leaving it to time out.
    let decided = false;
    const reply: Exchange['reply'] = (answer) => {
      if (answer.type !== 'wait') decided = true;
      exchange.reply(answer);
    };
    let release: (() => void) | undefined;
    let compiled = false;
    try {
      const directHits = compile.directHits !== false;
      // A copy that did not match its digest: the wrapper waits for `run`, and this compile replaces the entry.
      let replace = false;
      if (directHits) {
        const served = await this.serveHit(compile, exchange, reply);
        if (served === 'served') return;
        replace = served === 'corrupt';
      }
      release = this.deps.singleFlight.claim(compile.direct);
      if (!release && !replace) {
        reply({ type: 'wait', timeoutMs: SAME_KEY_WAIT_MS });
        await this.deps.singleFlight.waitFor(compile.direct, SAME_KEY_WAIT_MS);
        if (directHits) {
          const served = await this.serveHit(compile, exchange, reply);
          if (served === 'served') return;
          replace = served === 'corrupt';
        }
        release = this.deps.singleFlight.claim(compile.direct);
      }
      let fallback: FallbackKey | undefined;
      const fallbackWhen = compile.fallback ? ((await compile.fallbackWhen?.()) ?? 'before') : 'never';
      const fallbackAfterCompile = fallbackWhen === 'after';
      if (compile.fallback && fallbackWhen === 'before') {
        reply({ type: 'wait', timeoutMs: FALLBACK_WAIT_MS });
        fallback = await compile.fallback();
        if (fallback && !replace) {
          const served = await this.serveFallbackHit(compile, fallback, exchange, reply);
          if (served === 'served') return;
          replace = served === 'corrupt';
        }
      }
      count((counters) => {
        counters.misses += 1;
        tallyKind(counters, compile.kind, 'misses');
      });
      compiled = true;
      const explained = this.deps.observer?.miss(compile);
      reply({ type: 'run', store: true, ...(compile.extraArgs?.length ? { extraArgs: compile.extraArgs } : {}) });
      const report = await exchange.next(STORE_REPORT_WAIT_MS);
      if (report?.type !== 'store') return;
      const why = await explained;
      this.deps.onCompile?.({
        crate: compile.label,
        kind: compile.kind,
        worktree: compile.worktree,
        outcome: report.exitCode === 0 ? 'miss' : 'failed',
        durationMs: report.durationMs,
        ...(why ? { why } : {}),
      });
      const storeStarted = Date.now();
      const { refused, committed } = await this.store(
        compile,
        exchange,
        report,
        fallback?.key ?? (fallbackAfterCompile ? compile.fallback : undefined),
        replace,
      );
      // The outputs are copied aside: the wrapper (and cargo) may go on while they are hashed and committed.
      exchange.reply({ type: 'stored', stored: refused === undefined, ...(refused ? { reason: refused } : {}) });
      const outcome = refused ?? (await committed);
      log.debug(
        `${outcome ? `not stored (${outcome})` : 'stored'} ${compile.label} in ${Date.now() - storeStarted} ms, compiled in ${report.durationMs} ms`,
      );
    } catch (error) {
      count((counters) => increment(counters.errors, 'internal'));
      log.error(`${compile.kind} request in ${compile.cwd}: ${(error as Error).stack ?? String(error)}`);
      if (!decided) exchange.reply({ type: 'run', store: false, reason: 'error' });
    } finally {
      release?.();
      if (compiled) await compile.cleanup?.().catch(() => undefined);
    }
  }

  /** Serves a matching entry, if there is one. */
  private async serveHit(compile: CacheableCompile, exchange: Exchange, reply: Exchange['reply']): Promise<Served> {
    const { store, stats, log } = this.deps;
    const count: CountChange = (change) => stats.updateFor(compile.worktree, change);
    const key = await store.findResult(compile.direct, compile.lookup, count);
    if (!key) return 'unserved';
    const lookup = await store.get(key, count);
    if (lookup.status === 'corrupt') {
      count((counters) => increment(counters.errors, 'corrupt-entry'));
      log.warn(`removed corrupt entry ${key}: ${lookup.why}`);
      return 'unserved';
    }
    if (lookup.status === 'miss') return 'unserved';
    if (compile.servable && !compile.servable(lookup.found.entry)) return 'unserved';
    return this.serve(lookup.found, compile, exchange, reply);
  }

  /** Serves the entry found under the second key and points the direct key's manifest to it. */
  private async serveFallbackHit(
    compile: CacheableCompile,
    fallback: FallbackKey,
    exchange: Exchange,
    reply: Exchange['reply'],
  ): Promise<Served> {
    const count: CountChange = (change) => this.deps.stats.updateFor(compile.worktree, change);
    let lookup = await this.deps.store.get(fallback.key, count);
    if (lookup.status !== 'hit' && fallback.alias) lookup = await this.deps.store.get(fallback.alias, count);
    if (lookup.status !== 'hit') return 'unserved';
    const served = await this.serve(lookup.found, compile, exchange, reply, fallback.overrides);
    if (served !== 'served') return served;
    // A direct hit restores the entry's own files: only when they are what this hit wrote instead (the
    // dependency file of a compile with -I naming a copy of the headers names other paths).
    const sameFiles = await entryHolds(lookup.found, compile.places, fallback.overrides ?? []);
    if (compile.directHits !== false && sameFiles)
      await this.deps.store.addManifest(compile.direct, { ...fallback.manifest, resultKey: lookup.found.key });
    this.deps.log.debug(
      `${compile.label}: direct miss, found under the fallback key ${fallback.key}${lookup.found.key === fallback.key ? '' : ` (entry ${lookup.found.key})`}`,
    );
    return 'served';
  }

  /**
   * Answers with a hit whose files the wrapper writes (see HitReply), then waits for it to say they
   * are written before counting the hit. False, unanswered, when the hit cannot even be planned.
   */
  private async serve(
    found: FoundEntry,
    compile: CacheableCompile,
    exchange: Exchange,
    reply: Exchange['reply'],
    overrides?: RestoreFile[],
  ): Promise<Served> {
    const { stats, log } = this.deps;
    const store = this.deps.store.local;
    const count = (change: (counters: Counters) => void): void => stats.updateFor(compile.worktree, change);
    let plan: RestorePlan;
    try {
      plan = await store.planRestore(found, compile.places, overrides);
    } catch (error) {
      if (error instanceof CorruptEntry) {
        count((counters) => increment(counters.errors, 'corrupt-entry'));
        log.warn(`removed corrupt entry ${found.key}: ${error.message}`);
        await store.remove(found.key);
        return 'unserved';
      }
      count((counters) => increment(counters.errors, 'restore'));
      log.error(`restoring ${found.key} into ${compile.places.outDir}: ${(error as Error).message}`);
      return 'unserved';
    }
    const { entry } = found;
    reply({
      type: 'hit',
      files: plan.files,
      stdout: restoredOutput(entry.stdout, compile.places),
      stderr: restoredOutput(entry.stderr, compile.places),
      exitCode: entry.exitCode,
    });
    if (plan.files.length > 0) {
      const report = await exchange.next(RESTORE_REPORT_WAIT_MS);
      if (report?.type === 'restore-failed' && report.corrupt) {
        count((counters) => increment(counters.errors, 'corrupt-entry'));
        log.warn(`removed corrupt entry ${found.key} (${report.message}); ${compile.label} is compiled to replace it`);
        await store.remove(found.key);
        return 'corrupt';
      }
      if (report?.type !== 'restored') {
        count((counters) => increment(counters.errors, 'restore'));
        const why = report?.type === 'restore-failed' ? report.message : 'the wrapper did not say whether it could';
        log.warn(
          `writing ${compile.label}'s outputs into ${compile.places.outDir} failed (${why}); the wrapper compiled it instead`,
        );
        return 'served';
      }
      store.restored(plan, report.identities);
    }
    const elapsed = Date.now() - compile.receivedAt;
    stats.updateFor(
      compile.worktree,
      (counters) => {
        counters.hits += 1;
        tallyKind(counters, compile.kind, 'hits');
        counters.timeSavedMs += Math.max(0, entry.durationMs - elapsed);
        counters.bytesRestored += plan.bytes;
      },
      (record) => increment(record.servedBy, entry.producer ?? 'unknown'),
    );
    log.debug(`hit ${compile.label} (${found.key}) in ${elapsed} ms`);
    this.deps.observer?.hit(compile, found.key);
    this.deps.onCompile?.({
      crate: compile.label,
      kind: compile.kind,
      worktree: compile.worktree,
      outcome: 'hit',
      durationMs: elapsed,
      savedMs: entry.durationMs,
    });
    return 'served';
  }

  /**
   * Stores a finished compile in two steps: what must happen before the wrapper may exit (the
   * manifest, copying the outputs aside), and the commit, which hashes and publishes the entry.
   * `refused` says why nothing is stored; `committed` resolves to the reason a commit failed, or undefined.
   */
  private async store(
    compile: CacheableCompile,
    exchange: Exchange,
    report: StoreRequest,
    fallback: string | (() => Promise<FallbackKey | undefined>) | undefined,
    replace: boolean,
  ): Promise<{ refused?: string; committed: Promise<string | undefined> }> {
    const { stats, log } = this.deps;
    const tiers = this.deps.store;
    const store = tiers.local;
    const done = Promise.resolve(undefined);
    if (report.exitCode !== 0) {
      stats.updateFor(compile.worktree, (counters) => {
        counters.failedCompiles += 1;
      });
      return { refused: 'the compile failed', committed: done };
    }
    const fail = (error: unknown): string => {
      stats.updateFor(compile.worktree, (counters) => increment(counters.errors, 'store'));
      log.error(`storing ${compile.label} from ${compile.cwd}: ${(error as Error).message}`);
      return `storing failed: ${(error as Error).message}`;
    };
    let staged: StagedOutputs;
    let collected: Collected;
    try {
      collected = await compile.collect();
      if ('refused' in collected) return { refused: collected.refused, committed: done };
      staged = await store.stage(collected.outputs, compile.places);
    } catch (error) {
      return { refused: fail(error), committed: done };
    }
    // Copied aside while the server was stopped, the outputs may be those of a compile the client ran after.
    if (exchange.givenUp?.()) {
      await store.discard(staged);
      return { refused: 'the client went on without the server', committed: done };
    }
    const readInputs = collected.manifest;
    const committed = (async (): Promise<string | undefined> => {
      try {
        const manifest = await readInputs();
        if ('refused' in manifest) {
          await store.discard(staged);
          return manifest.refused;
        }
        // A fallback key worked out only now (after the compile) is the key stored under, when there is one.
        const fallbackKey = typeof fallback === 'function' ? (await fallback())?.key : fallback;
        const result = fallbackKey ?? resultKey(compile.direct, manifest).key;
        const metadata = {
          stdout: templatedOutput(report.stdout, compile.places),
          stderr: templatedOutput(report.stderr, compile.places),
          exitCode: report.exitCode,
          durationMs: report.durationMs,
          producer: compile.worktree.id,
        };
        // A replaced entry is written over whatever is under its key (a damaged one, or one stored meanwhile).
        const bytes = await tiers.commit(result, staged, metadata, { overwrite: replace });
        await tiers.addManifest(compile.direct, { ...manifest, resultKey: result });
        this.deps.observer?.stored(compile, result);
        stats.updateFor(compile.worktree, (counters) => {
          counters.bytesStored += bytes;
        });
        this.deps.afterStore();
        return undefined;
      } catch (error) {
        await store.discard(staged);
        return fail(error);
      }
    })();
    return { committed };
  }
}
