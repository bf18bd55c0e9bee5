import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskStore } from '../cache/disk-store.js';
import { ManifestStore } from '../cache/manifest-store.js';
import { TieredStore } from '../cache/tiered-store.js';
import { DigestMemo } from '../hash/digest-memo.js';
import { PROTOCOL_VERSION, type ClientMessage, type ServerMessage } from '../protocol/messages.js';
import { OUTSIDE_ANY_REPOSITORY } from '../worktree/locate.js';
import { CompileFlow, type CacheableCompile, type FallbackKey } from './compile-flow.js';
import { resultKey } from '../compiler/result-key.js';
import { Logger } from './logger.js';
import { SingleFlight } from './single-flight.js';
import { StatsStore } from '../stats/stats-store.js';
import { restoreFiles } from '../wrapper/restore-files.js';

/**
 * A wrapper: compiles when told to (writes the object) and reports success; on a hit, writes the files
 * with the wrapper's own code and reports them, or says it could not.
 */
function wrapper(
  object: string,
  content: string,
  onHit: 'write' | 'fail' | 'corrupt' = 'write',
): { replies: ServerMessage[]; reply(message: ServerMessage): void; next(): Promise<ClientMessage | undefined> } {
  const replies: ServerMessage[] = [];
  return {
    replies,
    reply: (message) => replies.push(message),
    async next() {
      const last = replies.at(-1);
      if (last?.type === 'hit') {
        if (onHit === 'fail')
          return { v: PROTOCOL_VERSION, type: 'restore-failed', message: 'ENOSPC: no space left on device' };
        if (onHit === 'corrupt')
          return {
            v: PROTOCOL_VERSION,
            type: 'restore-failed',
            message: 'does not match its recorded digest',
            corrupt: true,
          };
        return { v: PROTOCOL_VERSION, type: 'restored', identities: restoreFiles(last.files) };
      }
      writeFileSync(object, content);
      return { v: PROTOCOL_VERSION, type: 'store', exitCode: 0, stdout: '', stderr: '', durationMs: 100 };
    },
  };
}

describe('CompileFlow with a fallback key', () => {
  let root: string;
  let flow: CompileFlow;
  let stats: StatsStore;
  let outDir: string;
  let fallbackCalls = 0;

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'hoard-flow-'));
    outDir = join(root, 'out');
    const memo = new DigestMemo();
    const store = new DiskStore(join(root, 'cache'), memo);
    await store.init();
    stats = new StatsStore(join(root, 'stats.json'));
    const log = new Logger('error', { errorLog: join(root, 'error.log') });
    const manifests = new ManifestStore(join(root, 'manifests'), memo);
    const tiers = new TieredStore({ local: store, manifests, count: (change) => stats.update(change), log });
    flow = new CompileFlow({
      store: tiers,
      memo,
      stats,
      singleFlight: new SingleFlight(),
      log,
      afterStore: () => undefined,
    });
    fallbackCalls = 0;
    writeFileSync(join(root, 'a.c'), 'int a;\n');
  });

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  /** A compile whose dependency file (beside the object) is `depText`, both when compiled and when preprocessed. */
  function compile(direct: string, fallbackKey: string, depText = 'a.o: a.c\n'): CacheableCompile {
    const files: FallbackKey['manifest']['files'] = [[join(root, 'a.c'), null]];
    return {
      worktree: OUTSIDE_ANY_REPOSITORY,
      kind: 'c',
      label: 'a.c',
      cwd: root,
      receivedAt: Date.now() + 60_000,
      direct,
      places: { outDir },
      lookup: { path: (recorded) => recorded, env: () => null },
      fallback: async () => {
        fallbackCalls += 1;
        const digest = await new DigestMemo().digest(join(root, 'a.c'));
        files[0]![1] = digest ?? null;
        return {
          key: fallbackKey,
          manifest: { files, envDeps: [] },
          overrides: [{ path: join(outDir, 'a.d'), text: depText }],
        };
      },
      collect: async () => {
        writeFileSync(join(outDir, 'a.d'), depText);
        return {
          manifest: async () => ({ files, envDeps: [] }),
          outputs: [
            { name: 'a.o', path: join(outDir, 'a.o'), templated: false },
            { name: 'a.d', path: join(outDir, 'a.d'), templated: false },
          ],
        };
      },
    };
  }

  async function answer(
    request: CacheableCompile,
    content = 'object',
    onHit: 'write' | 'fail' | 'corrupt' = 'write',
  ): Promise<ServerMessage[]> {
    mkdirSync(outDir, { recursive: true });
    const exchange = wrapper(join(outDir, 'a.o'), content, onHit);
    await flow.answer(request, exchange);
    // The store commits after the reply: let it finish.
    await new Promise((resolve) => setTimeout(resolve, 50));
    return exchange.replies;
  }

  it('stores a miss under the fallback key; another direct key with the same fallback key hits, and then hits directly', async () => {
    const first = await answer(compile('d'.repeat(64), 'f'.repeat(64)));
    expect(first.map((reply) => reply.type)).toEqual(['wait', 'run', 'stored']);
    rmSync(join(outDir, 'a.o'));
    const second = await answer(compile('e'.repeat(64), 'f'.repeat(64)));
    expect(second.map((reply) => reply.type)).toEqual(['wait', 'hit']);
    expect(readFileSync(join(outDir, 'a.o'), 'utf8')).toBe('object');
    // This compile's own dependency file, known from its preprocessing.
    expect(readFileSync(join(outDir, 'a.d'), 'utf8')).toBe('a.o: a.c\n');
    const third = await answer(compile('e'.repeat(64), 'f'.repeat(64)));
    expect(third.map((reply) => reply.type)).toEqual(['hit']);
    expect(fallbackCalls).toBe(2);
    expect(stats.counters).toMatchObject({ hits: 2, misses: 1 });
  });

  it("keeps serving through the fallback key when the entry's dependency file is not this compile's (-I naming a copy of the headers)", async () => {
    await answer(compile('d'.repeat(64), 'f'.repeat(64), 'a.o: a.c include/a.h\n'));
    rmSync(join(outDir, 'a.o'));
    const copy = (): CacheableCompile => compile('e'.repeat(64), 'f'.repeat(64), 'a.o: a.c copy/a.h\n');
    expect((await answer(copy())).map((reply) => reply.type)).toEqual(['wait', 'hit']);
    rmSync(join(outDir, 'a.o'));
    // A direct hit would restore the entry's dependency file, which names include/a.h.
    expect((await answer(copy())).map((reply) => reply.type)).toEqual(['wait', 'hit']);
    expect(readFileSync(join(outDir, 'a.d'), 'utf8')).toBe('a.o: a.c copy/a.h\n');
    expect(fallbackCalls).toBe(3);
  });

  it('serves through a fallback key that names an entry stored under its direct key (depend mode), and hits directly after', async () => {
    const direct = 'd'.repeat(64);
    const dependMode = (): CacheableCompile => ({
      ...compile(direct, 'f'.repeat(64)),
      fallbackWhen: async () => 'never',
    });
    expect((await answer(dependMode())).map((reply) => reply.type)).toEqual(['run', 'stored']);
    expect(fallbackCalls).toBe(0);
    // The fixture's manifest (its digest is filled in only by its fallback, which depend mode does not call).
    const stored = resultKey(direct, { files: [[join(root, 'a.c'), null]], envDeps: [] }).key;
    rmSync(join(outDir, 'a.o'));
    const aliased = (): CacheableCompile => {
      const other = compile('e'.repeat(64), '0'.repeat(64));
      return { ...other, fallback: async () => ({ ...(await other.fallback!())!, alias: stored }) };
    };
    expect((await answer(aliased())).map((reply) => reply.type)).toEqual(['wait', 'hit']);
    expect(readFileSync(join(outDir, 'a.o'), 'utf8')).toBe('object');
    rmSync(join(outDir, 'a.o'));
    expect((await answer(aliased())).map((reply) => reply.type)).toEqual(['hit']);
  });

  it('stores nothing of a compile whose client went on without the server while its outputs were copied aside', async () => {
    mkdirSync(outDir, { recursive: true });
    // An sh lane's shell told `timeout` by the watchdog while the server was stopped in the store.
    const gone = { ...wrapper(join(outDir, 'a.o'), 'object'), givenUp: () => true };
    await flow.answer(compile('d'.repeat(64), 'f'.repeat(64)), gone);
    expect(gone.replies.at(-1)).toMatchObject({ type: 'stored', stored: false });
    rmSync(join(outDir, 'a.o'));
    const again = await answer(compile('d'.repeat(64), 'f'.repeat(64)));
    expect(again.map((reply) => reply.type)).toEqual(['wait', 'run', 'stored']);
    expect(stats.counters).toMatchObject({ hits: 0, misses: 2 });
  });

  it('compiles when the fallback finds nothing', async () => {
    await answer(compile('d'.repeat(64), 'f'.repeat(64)));
    const other = await answer(compile('e'.repeat(64), '0'.repeat(64)));
    expect(other.map((reply) => reply.type)).toEqual(['wait', 'run', 'stored']);
  });

  it('without direct hits, serves every hit through the fallback key', async () => {
    const onlyFallback = (): CacheableCompile => ({ ...compile('d'.repeat(64), 'f'.repeat(64)), directHits: false });
    await answer(onlyFallback());
    rmSync(join(outDir, 'a.o'));
    const again = await answer(onlyFallback());
    expect(again.map((reply) => reply.type)).toEqual(['wait', 'hit']);
    expect(fallbackCalls).toBe(2);
    expect(readFileSync(join(outDir, 'a.d'), 'utf8')).toBe('a.o: a.c\n');
  });

  it('counts a hit whose files the wrapper could not write as a restore error, not a hit', async () => {
    await answer(compile('d'.repeat(64), 'f'.repeat(64)));
    rmSync(join(outDir, 'a.o'));
    const failed = await answer(compile('d'.repeat(64), 'f'.repeat(64)), 'object', 'fail');
    expect(failed.map((reply) => reply.type)).toEqual(['hit']);
    expect(stats.counters).toMatchObject({ hits: 0, misses: 1, errors: { restore: 1 } });
    await answer(compile('d'.repeat(64), 'f'.repeat(64)));
    expect(stats.counters).toMatchObject({ hits: 1, misses: 1, errors: { restore: 1 } });
  });

  it('asks for no report when every output is already in place', async () => {
    await answer(compile('d'.repeat(64), 'f'.repeat(64)));
    const exchange = wrapper(join(outDir, 'a.o'), 'object', 'fail');
    await flow.answer(compile('d'.repeat(64), 'f'.repeat(64)), exchange);
    expect(exchange.replies).toEqual([expect.objectContaining({ type: 'hit', files: [] })]);
    expect(stats.counters).toMatchObject({ hits: 1, misses: 1 });
  });

  it('after a copy found corrupt, has the wrapper compile, replaces the entry, and the next request hits it', async () => {
    await answer(compile('d'.repeat(64), 'f'.repeat(64)), 'old object');
    rmSync(join(outDir, 'a.o'));
    const replaced = await answer(compile('d'.repeat(64), 'f'.repeat(64)), 'new object', 'corrupt');
    expect(replaced.map((reply) => reply.type)).toEqual(['hit', 'wait', 'run', 'stored']);
    expect(stats.counters).toMatchObject({ hits: 0, misses: 2, errors: { 'corrupt-entry': 1 } });
    rmSync(join(outDir, 'a.o'));
    const next = await answer(compile('d'.repeat(64), 'f'.repeat(64)));
    expect(next.map((reply) => reply.type)).toEqual(['hit']);
    expect(readFileSync(join(outDir, 'a.o'), 'utf8')).toBe('new object');
    expect(stats.counters).toMatchObject({ hits: 1, misses: 2 });
  });
});
