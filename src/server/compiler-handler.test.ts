import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Classification } from '../compiler/classification.js';
import { PROTOCOL_VERSION, type CompileRequest, type ServerMessage } from '../protocol/messages.js';
import { OUTSIDE_ANY_REPOSITORY, type Worktree } from '../worktree/locate.js';
import type { CacheableCompile } from './compile-flow.js';
import {
  answerCompile,
  type CompileContext,
  type CompilerHandler,
  type SharedCompileDependencies,
} from './compiler-handler.js';
import type { Exchange } from './exchange.js';
import type { CompileReport } from './live-feed.js';
import { Logger } from './logger.js';
import { StatsStore } from '../stats/stats-store.js';

interface ToyCompile {
  source: string;
}

/** A compiler whose arguments say everything: `toy query`, `toy refuse`, `toy linker-gone`, `toy broken-key`, `toy x.toy`. */
function toyHandler(
  seen: CompileContext[],
): CompilerHandler<ToyCompile, { source: string; baseDir: string | undefined }> {
  return {
    classify: (request): Classification<ToyCompile> => {
      const argument = request.argv[1]!;
      if (argument === 'query') return { kind: 'not-compilation' };
      if (argument === 'refuse') return { kind: 'not-cacheable', reason: 'stdin', detail: 'reads stdin' };
      return { kind: 'cacheable', compile: { source: argument } };
    },
    outputDir: (request) => `${request.cwd}/out`,
    kindOf: () => 'toy',
    refusedLabel: (request) => request.argv.join(' '),
    answerQuery: async (_request, exchange) => exchange.reply({ type: 'run', store: false }),
    subject: (compile) => compile.source,
    prepare: async (compile, context) => {
      seen.push(context);
      if (compile.source === 'linker-gone') return { refuse: 'linker-not-found', detail: 'no cc' };
      return { source: compile.source, baseDir: context.baseDir };
    },
    directKey: async (plan) => {
      if (plan.source === 'broken-key') throw new Error('toolchain vanished');
      return { key: `key-of-${plan.source}`, explanation: 'the inputs' };
    },
    describe: (plan, direct, context): CacheableCompile => ({
      worktree: context.worktree,
      kind: context.kind,
      label: plan.source,
      cwd: context.request.cwd,
      receivedAt: context.receivedAt,
      direct,
      places: { outDir: `${context.request.cwd}/out` },
      lookup: { path: (recorded) => recorded, env: () => null },
      collect: async () => ({ refused: 'not in this test' }),
    }),
  };
}

describe('answerCompile, the path every compiler shares', () => {
  let root: string;
  let stats: StatsStore;
  let answered: CacheableCompile[];
  let reports: CompileReport[];
  let attributedTo: (string | undefined)[];
  let seen: CompileContext[];
  let deps: SharedCompileDependencies;
  const worktree: Worktree = { ...OUTSIDE_ANY_REPOSITORY, id: 'w1', root: '/w' };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'hoard-compiler-handler-'));
    stats = new StatsStore(join(root, 'stats.json'));
    answered = [];
    reports = [];
    attributedTo = [];
    seen = [];
    deps = {
      flow: {
        answer: async (compile, exchange) => {
          answered.push(compile);
          exchange.reply({ type: 'run', store: true });
        },
      },
      stats,
      worktrees: {
        attribute: async (outputDir) => {
          attributedTo.push(outputDir);
          return worktree;
        },
      },
      basedirs: () => ['auto'],
      log: new Logger('debug', { file: join(root, 'server.log'), errorLog: join(root, 'error.log') }),
      onCompile: (report) => reports.push(report),
    };
  });

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  async function ask(argument: string): Promise<ServerMessage[]> {
    const replies: ServerMessage[] = [];
    const exchange: Exchange = { reply: (message) => replies.push(message), next: async () => undefined };
    const request: CompileRequest = {
      v: PROTOCOL_VERSION,
      type: 'compile',
      cwd: '/w/crate',
      argv: ['toy', argument],
      env: {},
    };
    await answerCompile(deps, toyHandler(seen), request, exchange);
    return replies;
  }

  it('hands a cacheable compile to the flow with its direct key, attributed by its output directory, under its base directory', async () => {
    expect(await ask('x.toy')).toEqual([{ type: 'run', store: true }]);
    expect(answered).toEqual([expect.objectContaining({ direct: 'key-of-x.toy', kind: 'toy', worktree })]);
    expect(attributedTo).toEqual(['/w/crate/out']);
    expect(seen[0]).toMatchObject({ baseDir: '/w', explain: true, kind: 'toy' });
    expect(stats.counters).toMatchObject({ requests: 1, byKind: { toy: { requests: 1 } } });
    expect(readFileSync(join(root, 'server.log'), 'utf8')).toContain('direct key key-of-x.toy for x.toy: | the inputs');
  });

  it('lets the handler answer a call that compiles nothing, counted as such', async () => {
    expect(await ask('query')).toEqual([{ type: 'run', store: false }]);
    expect(stats.counters).toMatchObject({ requests: 1, notCompilation: 1 });
    expect(answered).toEqual([]);
  });

  it('runs a not-cacheable call with its reason, counted, and shown in the stream', async () => {
    expect(await ask('refuse')).toEqual([{ type: 'run', store: false, reason: 'stdin' }]);
    expect(stats.counters).toMatchObject({
      requests: 1,
      notCacheable: { stdin: 1 },
      byKind: { toy: { requests: 1, notCacheable: 1 } },
    });
    expect(reports).toEqual([
      { crate: 'toy refuse', kind: 'toy', worktree, outcome: 'not-cacheable', reason: 'stdin' },
    ]);
  });

  it('runs a call the handler refuses while preparing the same way', async () => {
    expect(await ask('linker-gone')).toEqual([{ type: 'run', store: false, reason: 'linker-not-found' }]);
    expect(stats.counters.notCacheable).toMatchObject({ 'linker-not-found': 1 });
  });

  it('runs the compiler uncached when keying fails, counted as an internal error and logged', async () => {
    expect(await ask('broken-key')).toEqual([{ type: 'run', store: false, reason: 'error' }]);
    expect(stats.counters.errors).toMatchObject({ internal: 1 });
    expect(answered).toEqual([]);
    expect(readFileSync(join(root, 'error.log'), 'utf8')).toMatch(
      /keying broken-key in \/w\/crate: Error: toolchain vanished/,
    );
  });
});
