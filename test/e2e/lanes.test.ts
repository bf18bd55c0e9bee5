import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sumOf } from '../../src/stats/counters.js';
import { StatsStore } from '../../src/stats/stats-store.js';
import { createSandbox, expectSuccess, type Sandbox } from './harness.js';
import { PROTOCOL_VERSION, type ServerStatus } from '../../src/protocol/messages.js';

/** A C file whose compile warns on every line: well over a pipe's 64 KiB of stderr. */
function noisySource(lines: number): string {
  const body = Array.from({ length: lines }, (_, index) => `  int unused_${index} = 0;`).join('\n');
  return `int noisy(void) {\n${body}\n  return 0;\n}\n`;
}

describe('compile requests through lanes', () => {
  let sandbox: Sandbox;
  let source: string;
  // The Node wrapper's lanes: bin/hoard's fast path (fast-path.test.ts) is turned off.
  const compile = (): ReturnType<Sandbox['hoard']> =>
    sandbox.hoard(['gcc', '-Wunused-variable', '-c', source, '-o', join(sandbox.root, 'noisy.o')], {
      HOARD_FAST_PATH: '0',
    });
  const status = async (): Promise<ServerStatus> =>
    JSON.parse((await sandbox.hoard(['server', 'status', '--json'])).stdout) as ServerStatus;
  const lanesDir = (): string => join(sandbox.root, 'run', 'hoard', `lanes-p${PROTOCOL_VERSION}`);

  beforeAll(() => {
    sandbox = createSandbox();
    source = join(sandbox.root, 'noisy.c');
    writeFileSync(source, noisySource(1500));
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('serves hits through lanes, replaying output larger than a pipe holds exactly', async () => {
    const direct = await sandbox.hoard(['server', 'start']);
    expectSuccess(direct, 'server start');
    // The server answers on its socket first and makes its lanes just after: on a busy machine the
    // first status can come in between.
    let before = await status();
    for (let waited = 0; before.lanes.ready === 0 && waited < 10_000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      before = await status();
    }
    expect(before.lanes.available).toBe(true);
    expect(before.lanes.ready).toBeGreaterThan(0);

    const miss = await compile();
    expectSuccess(miss, 'first compile');
    expect(Buffer.byteLength(miss.stderr)).toBeGreaterThan(64 * 1024);
    const object = readFileSync(join(sandbox.root, 'noisy.o'));
    const hit = await compile();
    expectSuccess(hit, 'second compile');
    expect(hit.stderr).toBe(miss.stderr);
    expect(readFileSync(join(sandbox.root, 'noisy.o')).equals(object)).toBe(true);

    const { counters } = await sandbox.stats();
    expect(counters.byKind.c).toMatchObject({ requests: 2, hits: 1, misses: 1 });
    expect(sumOf(counters.errors)).toBe(0);
    expect((await status()).lanes.served).toBe(before.lanes.served + 2);
  });

  it('compiles through the socket when the server behind the lanes was killed, and the next server clears them', async () => {
    const killed = await status();
    // Statistics are saved shortly after each change: a kill within that moment would lose the first
    // test's compiles, which this test counts on finding saved.
    const saved = join(sandbox.root, 'cache', 'hoard', 'stats.json');
    for (let waited = 0; StatsStore.read(saved).counters.requests < 2 && waited < 5000; waited += 50)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(StatsStore.read(saved).counters.byKind.c).toMatchObject({ requests: 2, hits: 1, misses: 1 });
    process.kill(killed.pid, 'SIGKILL');
    const left = readdirSync(lanesDir()).filter((name) => name.startsWith(`${killed.pid}-`));
    expect(left.length).toBeGreaterThan(0);

    const result = await compile();
    expectSuccess(result, 'compile after the server was killed');
    const next = await status();
    expect(next.pid).not.toBe(killed.pid);
    expect(readdirSync(lanesDir()).filter((name) => name.startsWith(`${killed.pid}-`))).toEqual([]);
    expect(readdirSync(join(lanesDir(), '.taken'))).toEqual([]);
    expect(readdirSync(join(lanesDir(), '.replies')).filter((name) => name.startsWith(`${killed.pid}-`))).toEqual([]);
    // The new server counts from the saved statistics: the compile was a hit, not an error.
    const { counters } = await sandbox.stats();
    expect(counters.byKind.c).toMatchObject({ requests: 3, hits: 2 });
    expect(sumOf(counters.errors)).toBe(0);
  });
});
