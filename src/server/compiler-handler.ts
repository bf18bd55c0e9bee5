import type { Classification, NotCacheableReason } from '../compiler/classification.js';
import type { CompileRequest } from '../protocol/messages.js';
import { increment, tallyKind, type Counters } from '../stats/counters.js';
import { chooseBaseDir } from '../worktree/base-dir.js';
import type { Worktree, WorktreeLocator } from '../worktree/locate.js';
import type { CacheableCompile, CompileFlow } from './compile-flow.js';
import type { Exchange } from './exchange.js';
import type { CompileReport } from './live-feed.js';
import type { Logger } from './logger.js';
import type { StatsStore } from '../stats/stats-store.js';
import type { WhyInputs } from '../why/explainer.js';

/** A call that compiles something: cacheable or not. */
export type CompilationClassification<Compile> = Exclude<Classification<Compile>, { kind: 'not-compilation' }>;

/** A cacheable call the handler decided to run uncached after all (a linker not found, …). */
export interface Refusal {
  refuse: NotCacheableReason;
  detail: string;
}

/** What the shared path knows of one request when it asks the compiler's handler about it. */
export interface CompileContext {
  request: CompileRequest;
  worktree: Worktree;
  /** The statistics kind ('rust library', 'c', …). */
  kind: string;
  receivedAt: number;
  /** The server logs at debug level: keys are worked out with their labelled inputs. */
  explain: boolean;
  /** The configured base directory the request falls under, if any (the handler may decline to use it). */
  baseDir: string | undefined;
  /** The configured base directories (`basedirs`), as read for this request. */
  configuredBaseDirs: readonly string[];
  /** Applies a change to the counters of the request's worktree and the totals. */
  count(change: (counters: Counters) => void): void;
}

/**
 * What a compiler (rustc, gcc/clang) tells the shared path: how to classify a call, what to call it,
 * and how to key it. Everything else (attribution, counting, refusing, a keying failure, serving a hit
 * or storing a miss) is `answerCompile`'s, the same for every compiler.
 */
export interface CompilerHandler<Compile, Plan> {
  classify(request: CompileRequest): Classification<Compile>;
  /** Where the call's outputs go, to attribute it to a worktree; undefined: by its working directory. */
  outputDir(request: CompileRequest, classification: Classification<Compile>): string | undefined;
  kindOf(request: CompileRequest, classification: CompilationClassification<Compile>): string;
  /** The name the stream of compiles shows for a call not cached. */
  refusedLabel(request: CompileRequest): string;
  /** A call that compiles nothing (`-vV`, `--print`): answer it. */
  answerQuery(request: CompileRequest, exchange: Exchange): Promise<void>;
  /** The compile in log lines: a crate name, a source file. */
  subject(compile: Compile): string;
  /** What keying needs beyond the arguments (IO allowed), or a reason to run the call uncached. */
  prepare(compile: Compile, context: CompileContext): Promise<Plan | Refusal>;
  /** The direct key. A throw is an internal error: counted, logged, and the compiler runs uncached. */
  directKey(
    plan: Plan,
    context: CompileContext,
  ): Promise<{ key: string; explanation?: string | undefined; why?: WhyInputs }>;
  /** The compile as the shared flow (src/server/compile-flow.ts) serves or stores it. */
  describe(plan: Plan, directKey: string, context: CompileContext): CacheableCompile;
}

export interface SharedCompileDependencies {
  flow: Pick<CompileFlow, 'answer'>;
  stats: Pick<StatsStore, 'updateFor'>;
  worktrees: Pick<WorktreeLocator, 'attribute'>;
  /** Configured base directories, read per request so that a config change applies at once. */
  basedirs(): readonly string[];
  log: Logger;
  /** Feeds the dashboard's stream of latest compiles. */
  onCompile?(report: CompileReport): void;
}

function isRefusal(value: unknown): value is Refusal {
  return typeof value === 'object' && value !== null && 'refuse' in value;
}

/** Answers one compile request through the compiler's handler: the path every compiler shares. */
export async function answerCompile<Compile, Plan>(
  deps: SharedCompileDependencies,
  handler: CompilerHandler<Compile, Plan>,
  request: CompileRequest,
  exchange: Exchange,
): Promise<void> {
  const { stats, log } = deps;
  const receivedAt = Date.now();
  const { cwd } = request;
  const classification = handler.classify(request);
  const worktree = await deps.worktrees.attribute(handler.outputDir(request, classification), cwd);
  const count = (change: (counters: Counters) => void): void => stats.updateFor(worktree, change);
  count((counters) => {
    counters.requests += 1;
  });
  if (classification.kind === 'not-compilation') {
    count((counters) => {
      counters.notCompilation += 1;
    });
    return handler.answerQuery(request, exchange);
  }
  const kind = handler.kindOf(request, classification);
  count((counters) => tallyKind(counters, kind, 'requests'));
  const refuse = (reason: NotCacheableReason, detail: string): void => {
    count((counters) => {
      increment(counters.notCacheable, reason);
      tallyKind(counters, kind, 'notCacheable');
    });
    log.debug(`not cacheable (${reason}: ${detail}) in ${cwd}`);
    deps.onCompile?.({ crate: handler.refusedLabel(request), kind, worktree, outcome: 'not-cacheable', reason });
    exchange.reply({ type: 'run', store: false, reason });
  };
  if (classification.kind === 'not-cacheable') return refuse(classification.reason, classification.detail);
  const compile = classification.compile;
  const explain = log.level === 'debug';
  const configuredBaseDirs = deps.basedirs();
  const context: CompileContext = {
    request,
    worktree,
    kind,
    receivedAt,
    explain,
    baseDir: chooseBaseDir(configuredBaseDirs, worktree, cwd),
    configuredBaseDirs,
    count,
  };
  const plan = await handler.prepare(compile, context);
  if (isRefusal(plan)) return refuse(plan.refuse, plan.detail);
  let direct: Awaited<ReturnType<typeof handler.directKey>>;
  try {
    direct = await handler.directKey(plan, context);
  } catch (error) {
    count((counters) => increment(counters.errors, 'internal'));
    log.error(`keying ${handler.subject(compile)} in ${cwd}: ${(error as Error).stack ?? String(error)}`);
    exchange.reply({ type: 'run', store: false, reason: 'error' });
    return;
  }
  if (explain) log.debug(`direct key ${direct.key} for ${handler.subject(compile)}:\n${direct.explanation}`);
  // The unit and labelled key inputs go with the compile, so that a miss can be explained (src/why/).
  await deps.flow.answer(
    { ...handler.describe(plan, direct.key, context), ...(direct.why ? { why: direct.why } : {}) },
    exchange,
  );
}
