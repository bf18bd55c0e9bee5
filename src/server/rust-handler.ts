import { readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { DiskStore, FoundEntry, StagedOutputs } from '../cache/disk-store.js';
import type { ManifestStore } from '../cache/manifest-store.js';
import { fromTemplate, hasTemplate, toTemplate, type BuildPlaces } from '../cache/path-template.js';
import { classifyRustc, type RustCompile } from '../compiler/rustc/args.js';
import type { NotCacheableReason } from '../compiler/classification.js';
import { parseDepInfo } from '../compiler/rustc/dep-info.js';
import { directKey, RELOCATABLE_ENV_DEPS, remapArgument, resultKey, type ManifestInputs } from '../compiler/rustc/key-inputs.js';
import { depInfoPath, expectedOutputs } from '../compiler/rustc/outputs.js';
import type { Toolchains } from '../compiler/rustc/toolchain.js';
import type { Linkers, LabelledInput } from '../compiler/rustc/linker.js';
import type { LinkedCrateKind } from '../compiler/rustc/crate-kind.js';
import type { DigestMemo } from '../hash/digest-memo.js';
import type { CompileRequest, StoreRequest } from '../protocol/messages.js';
import { increment, tallyKind } from '../stats/counters.js';
import { rustCrateKind } from '../compiler/rustc/crate-kind.js';
import type { Exchange } from './exchange.js';
import type { Logger } from './logger.js';
import type { SingleFlight } from './single-flight.js';
import type { Worktree, WorktreeLocator } from '../worktree/locate.js';
import { chooseBaseDir, relocationFor, type Relocation } from '../worktree/base-dir.js';
import type { Counters } from '../stats/counters.js';
import type { StatsStore } from './stats-store.js';
import { crateLabel, crateNameOf, type CompileReport } from './live-feed.js';

/** How long a request waits for another wrapper compiling the same key before compiling itself. */
export const SAME_KEY_WAIT_MS = 10 * 60_000;
/** How long the server waits for a wrapper to report its compile; a wrapper that dies hangs up sooner. */
const STORE_REPORT_WAIT_MS = 6 * 60 * 60_000;

export interface RustHandlerDependencies {
  store: DiskStore;
  manifests: ManifestStore;
  memo: DigestMemo;
  toolchains: Toolchains;
  linkers: Linkers;
  stats: StatsStore;
  singleFlight: SingleFlight;
  worktrees: WorktreeLocator;
  /** Configured base directories, read per request so that a config change applies at once. */
  basedirs(): readonly string[];
  /** Configured kinds of linked crate to cache, read per request like basedirs. */
  linkedCrates(): readonly LinkedCrateKind[];
  log: Logger;
  afterStore(): void;
  /** Feeds the dashboard's stream of latest compiles. */
  onCompile?(report: CompileReport): void;
}

interface Request {
  worktree: Worktree;
  kind: string;
  relocation: Relocation;
  places: BuildPlaces;
  compile: RustCompile;
  cwd: string;
  env: Record<string, string>;
  direct: string;
  receivedAt: number;
}

/** The out-dir named in the arguments, for attributing calls that are not parsed further. */
function outDirArgument(argv: string[], cwd: string): string | undefined {
  for (let index = 1; index < argv.length; index += 1) {
    const argument = argv[index]!;
    if (argument === '--out-dir' && argv[index + 1]) return resolve(cwd, argv[index + 1]!);
    if (argument.startsWith('--out-dir=')) return resolve(cwd, argument.slice('--out-dir='.length));
  }
  return undefined;
}

function base64(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64');
}

/** Replays compiler output that names the out-dir, when it is text that survives a round trip. */
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

function recordedEnvDep(relocation: Relocation, name: string, value: string | null): string | null {
  return value !== null && (RELOCATABLE_ENV_DEPS as readonly string[]).includes(name) ? relocation.strip(value) : value;
}

/** Answers compile requests for rustc: hit, or tell the wrapper to compile and then store the result. */
export class RustHandler {
  constructor(private readonly deps: RustHandlerDependencies) {}

  async handle(message: CompileRequest, exchange: Exchange): Promise<void> {
    const { stats, log } = this.deps;
    const receivedAt = Date.now();
    const worktree = await this.deps.worktrees.attribute(outDirArgument(message.argv, message.cwd), message.cwd);
    const count = (change: (counters: Counters) => void): void => stats.updateFor(worktree, change);
    count((counters) => {
      counters.requests += 1;
    });
    const classification = classifyRustc(message.argv.slice(1), message.cwd, (path) => readFileSync(path, 'utf8'), this.deps.linkedCrates());
    if (classification.kind === 'not-compilation') {
      count((counters) => {
        counters.notCompilation += 1;
      });
      exchange.reply({ type: 'run', store: false });
      return;
    }
    const kind = rustCrateKind(message.argv.slice(1));
    count((counters) => tallyKind(counters, kind, 'requests'));
    const refuse = (reason: NotCacheableReason, detail: string): void => {
      count((counters) => {
        increment(counters.notCacheable, reason);
        tallyKind(counters, kind, 'notCacheable');
      });
      log.debug(`not cacheable (${reason}: ${detail}) in ${message.cwd}`);
      this.deps.onCompile?.({ crate: crateNameOf(message.argv, message.env), kind, worktree, outcome: 'not-cacheable', reason });
      exchange.reply({ type: 'run', store: false, reason });
    };
    if (classification.kind === 'not-cacheable') return refuse(classification.reason, classification.detail);
    const compile = classification.compile;
    let linkInputs: LabelledInput[] | undefined;
    if (compile.linkedKind) {
      try {
        linkInputs = await this.deps.linkers.inputs(compile, message.cwd, message.env);
      } catch (error) {
        log.warn(`linking ${compile.crateName} in ${message.cwd}: ${(error as Error).message}; compiling it uncached`);
        return refuse('linker-not-found', (error as Error).message);
      }
    }

    // Whether the wrapper has its answer (hit or run); a 'wait' is not one, so an error after it still
    // tells the wrapper to compile instead of leaving it to time out.
    let decided = false;
    const reply: Exchange['reply'] = (answer) => {
      if (answer.type !== 'wait') decided = true;
      exchange.reply(answer);
    };
    let release: (() => void) | undefined;
    try {
      const identity = await this.deps.toolchains.identify(message.argv[0]!, message.cwd, message.env);
      const explain = log.level === 'debug';
      const baseDir = chooseBaseDir(this.deps.basedirs(), worktree, message.cwd);
      const relocation = relocationFor(baseDir);
      const direct = await directKey({ compile, compilerIdentity: identity.digest, cwd: message.cwd, env: message.env, memo: this.deps.memo, relocation, explain, ...(linkInputs ? { linkInputs } : {}) });
      if (explain) log.debug(`direct key ${direct.key} for ${compile.crateName}:\n${direct.explanation}`);
      const places: BuildPlaces = { outDir: compile.outDir, ...(baseDir ? { baseDir } : {}) };
      const request: Request = { worktree, kind, relocation, places, compile, cwd: message.cwd, env: message.env, direct: direct.key, receivedAt };

      if (await this.serveHit(request, reply)) return;
      release = this.deps.singleFlight.claim(direct.key);
      if (!release) {
        reply({ type: 'wait', timeoutMs: SAME_KEY_WAIT_MS });
        await this.deps.singleFlight.waitFor(direct.key, SAME_KEY_WAIT_MS);
        if (await this.serveHit(request, reply)) return;
        release = this.deps.singleFlight.claim(direct.key);
      }
      count((counters) => {
        counters.misses += 1;
        tallyKind(counters, request.kind, 'misses');
      });
      reply({ type: 'run', store: true, ...(baseDir ? { extraArgs: [remapArgument(baseDir)] } : {}) });
      const report = await exchange.next(STORE_REPORT_WAIT_MS);
      if (report?.type !== 'store') return;
      this.deps.onCompile?.({ crate: crateLabel(compile.crateName, message.env), kind, worktree, outcome: report.exitCode === 0 ? 'miss' : 'failed', durationMs: report.durationMs });
      const storeStarted = Date.now();
      const { refused, committed } = await this.store(request, report);
      // The outputs are copied aside: the wrapper (and cargo) may go on while they are hashed and committed.
      exchange.reply({ type: 'stored', stored: refused === undefined, ...(refused ? { reason: refused } : {}) });
      const outcome = refused ?? (await committed);
      log.debug(`${outcome ? `not stored (${outcome})` : 'stored'} ${compile.crateName} in ${Date.now() - storeStarted} ms, compiled in ${report.durationMs} ms`);
    } catch (error) {
      count((counters) => increment(counters.errors, 'internal'));
      log.error(`rustc request in ${message.cwd}: ${(error as Error).stack ?? String(error)}`);
      if (!decided) exchange.reply({ type: 'run', store: false, reason: 'error' });
    } finally {
      release?.();
    }
  }

  /** Restores a matching entry, if there is one. Returns whether the request was answered. */
  private async serveHit(request: Request, reply: Exchange['reply']): Promise<boolean> {
    const { manifests, store, stats, log } = this.deps;
    const { relocation, cwd, env } = request;
    const key = await manifests.find(request.direct, {
      path: (recorded) => {
        const path = relocation.resolve(recorded);
        return isAbsolute(path) ? path : resolve(cwd, path);
      },
      env: (name) => recordedEnvDep(relocation, name, env[name] ?? null),
    });
    if (!key) return false;
    const lookup = await store.get(key);
    if (lookup.status === 'corrupt') {
      stats.updateFor(request.worktree, (counters) => increment(counters.errors, 'corrupt-entry'));
      log.warn(`removed corrupt entry ${key}: ${lookup.why}`);
      return false;
    }
    if (lookup.status === 'miss') return false;
    let bytes: number;
    try {
      bytes = await store.restore(lookup.found, request.places);
    } catch (error) {
      stats.updateFor(request.worktree, (counters) => increment(counters.errors, 'restore'));
      log.error(`restoring ${key} into ${request.compile.outDir}: ${(error as Error).message}`);
      return false;
    }
    this.replyHit(lookup.found, request, bytes, reply);
    return true;
  }

  private replyHit(found: FoundEntry, request: Request, bytes: number, reply: Exchange['reply']): void {
    const { entry } = found;
    reply({
      type: 'hit',
      stdout: restoredOutput(entry.stdout, request.places),
      stderr: restoredOutput(entry.stderr, request.places),
      exitCode: entry.exitCode,
    });
    const elapsed = Date.now() - request.receivedAt;
    this.deps.stats.updateFor(
      request.worktree,
      (counters) => {
        counters.hits += 1;
        tallyKind(counters, request.kind, 'hits');
        counters.timeSavedMs += Math.max(0, entry.durationMs - elapsed);
        counters.bytesRestored += bytes;
      },
      (record) => increment(record.servedBy, entry.producer ?? 'unknown'),
    );
    this.deps.log.debug(`hit ${request.compile.crateName} (${found.key}) in ${elapsed} ms`);
    this.deps.onCompile?.({ crate: crateLabel(request.compile.crateName, request.env), kind: request.kind, worktree: request.worktree, outcome: 'hit', durationMs: elapsed, savedMs: entry.durationMs });
  }

  /**
   * Stores a finished compile in two steps: what must happen before the wrapper may exit (reading the
   * dep-info, digesting the sources, copying the outputs aside), and the commit, which hashes and
   * publishes the entry. `refused` says why nothing is stored; `committed` resolves to the reason a
   * commit failed, or undefined.
   */
  private async store(request: Request, report: StoreRequest): Promise<{ refused?: string; committed: Promise<string | undefined> }> {
    const { compile, cwd } = request;
    const { stats, log, store } = this.deps;
    const done = Promise.resolve(undefined);
    if (report.exitCode !== 0) {
      stats.updateFor(request.worktree, (counters) => {
        counters.failedCompiles += 1;
      });
      return { refused: 'the compile failed', committed: done };
    }
    const fail = (error: unknown): string => {
      stats.updateFor(request.worktree, (counters) => increment(counters.errors, 'store'));
      log.error(`storing ${compile.crateName} from ${cwd}: ${(error as Error).message}`);
      return `storing failed: ${(error as Error).message}`;
    };
    let staged: StagedOutputs;
    let manifest: ManifestInputs;
    try {
      const depInfo = parseDepInfo(await readFile(depInfoPath(compile), 'utf8'));
      const files: ManifestInputs['files'] = [];
      for (const source of depInfo.sources) {
        const path = isAbsolute(source) ? source : resolve(cwd, source);
        const [digest, info] = await Promise.all([this.deps.memo.digest(path), stat(path).catch(() => undefined)]);
        // Edited while it compiled: the outputs may be of the old text, the digest is of the new.
        if (info && Math.max(info.mtimeMs, info.ctimeMs) > request.receivedAt) return { refused: `${source} changed during the compile`, committed: done };
        files.push([request.relocation.strip(source), digest ?? null]);
      }
      const envDeps = depInfo.envDeps.map(([name, value]): [string, string | null] => [name, recordedEnvDep(request.relocation, name, value)]);
      manifest = { files, envDeps };
      staged = await store.stage(expectedOutputs(compile), request.places);
    } catch (error) {
      return { refused: fail(error), committed: done };
    }
    const committed = (async (): Promise<string | undefined> => {
      try {
        const result = resultKey(request.direct, manifest).key;
        const metadata = {
          stdout: templatedOutput(report.stdout, request.places),
          stderr: templatedOutput(report.stderr, request.places),
          exitCode: report.exitCode,
          durationMs: report.durationMs,
          producer: request.worktree.id,
        };
        const bytes = await store.commit(result, staged, metadata);
        await this.deps.manifests.add(request.direct, { ...manifest, resultKey: result });
        stats.updateFor(request.worktree, (counters) => {
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
