import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { execaRunner } from '../src/exec/process-runner.js';
import { attachDecoder, encodeFrame } from '../src/protocol/framing.js';
import { isLaneName, NEW_DIR, REPLIES_DIR, TAKEN_DIR } from '../src/protocol/lanes.js';
import { PROTOCOL_VERSION, type ClientMessage, type ServerMessage } from '../src/protocol/messages.js';
import type { Conversation } from '../src/server/conversation.js';
import { LanePool, mkfifoWith, type LanePoolOptions } from '../src/server/lane-pool.js';
import { LaneClosed, LaneConnection } from '../src/wrapper/lane-connection.js';

/*
 * The server's pool and the wrapper's client, in one process. The client waits synchronously, which
 * would stop this process's server from answering, so each test sends, lets the server answer (the
 * reply then sits in the FIFO), and only then reads.
 */

const request: ClientMessage = { v: PROTOCOL_VERSION, type: 'stats' };

function laneNames(dir: string): string[] {
  return readdirSync(dir).filter(isLaneName).sort();
}

describe('lanes', () => {
  let dir: string;
  let pool: LanePool;
  let received: ClientMessage[];
  let channels: Conversation[];
  let warnings: string[];
  /** What the test's server does with a message on a channel; by default it answers `data`. */
  let answer: (message: ClientMessage, channel: Conversation) => void;

  async function startPool(overrides: Partial<LanePoolOptions> = {}): Promise<void> {
    pool = new LanePool({
      dir,
      size: 4,
      makeFifos: mkfifoWith(execaRunner),
      onConversation: (channel) => {
        channels.push(channel);
        attachDecoder(
          channel,
          (message) => {
            received.push(message as ClientMessage);
            answer(message as ClientMessage, channel);
          },
          () => channel.destroy(),
        );
      },
      log: { warn: (message: string) => warnings.push(message) },
      ...overrides,
    });
    await pool.start();
  }

  beforeEach(() => {
    dir = join(mkdtempSync(join(tmpdir(), 'hoard-lanes-')), 'lanes');
    received = [];
    channels = [];
    warnings = [];
    answer = (message, channel) =>
      channel.write(encodeFrame({ type: 'error', message: `echo ${message.type}` } satisfies ServerMessage));
  });

  afterEach(async () => {
    await pool?.close();
    for (const channel of channels) channel.destroy();
    rmSync(join(dir, '..'), { recursive: true, force: true });
  });

  it('carries a request to the server and its reply back, then removes the used lane', async () => {
    await startPool();
    expect(laneNames(dir)).toHaveLength(4);
    const lane = LaneConnection.claim(dir)!;
    expect(lane).toBeDefined();
    expect(laneNames(dir)).toHaveLength(3);
    lane.send(request);
    await vi.waitFor(() => expect(received).toEqual([request]));
    expect(await lane.next(1000)).toEqual({ type: 'error', message: 'echo stats' });
    expect(pool.status()).toEqual({ served: 1, ready: 3, available: true });
    lane.close();
    await vi.waitFor(() => expect(readdirSync(join(dir, TAKEN_DIR))).toEqual([]));
    expect(readdirSync(join(dir, REPLIES_DIR))).toHaveLength(3);
  });

  it('gives each lane to one wrapper only, and makes new ones once half are in use', async () => {
    await startPool();
    const lanes = [1, 2, 3, 4].map(() => LaneConnection.claim(dir));
    expect(lanes.every(Boolean)).toBe(true);
    expect(LaneConnection.claim(dir)).toBeUndefined();
    expect(readdirSync(join(dir, TAKEN_DIR))).toHaveLength(4);
    for (const lane of lanes) lane!.send(request);
    await vi.waitFor(() => expect(received).toHaveLength(4));
    await vi.waitFor(() => expect(laneNames(dir)).toHaveLength(4));
    for (const lane of lanes) expect(await lane!.next(1000)).toMatchObject({ type: 'error' });
    for (const lane of lanes) lane!.close();
  });

  it('opens a big batch a few lanes per turn of the event loop, so requests arriving meanwhile are answered', async () => {
    const mkfifo = mkfifoWith(execaRunner);
    const offeredWhenOthersRan: number[] = [];
    await startPool({
      size: 16,
      makeFifos: async (paths) => {
        await mkfifo(paths);
        // Runs at the first turn of the event loop after the FIFOs exist: the batch has yielded.
        setImmediate(() => offeredWhenOthersRan.push(laneNames(dir).length));
      },
    });
    expect(laneNames(dir)).toHaveLength(16);
    expect(offeredWhenOthersRan).toHaveLength(1);
    expect(offeredWhenOthersRan[0]).toBeLessThan(16);
  });

  it('leaves nothing behind when it closes in the middle of a batch', async () => {
    const mkfifo = mkfifoWith(execaRunner);
    await startPool({
      size: 16,
      makeFifos: async (paths) => {
        await mkfifo(paths);
        setImmediate(() => void pool.close());
      },
    });
    await vi.waitFor(() => expect(readdirSync(join(dir, REPLIES_DIR))).toEqual([]));
    expect(laneNames(dir)).toEqual([]);
    expect(readdirSync(join(dir, NEW_DIR))).toEqual([]);
  });

  it('tells the wrapper when the server closes the lane before answering, so it can use the socket', async () => {
    answer = (_message, channel) => channel.destroy();
    await startPool();
    const lane = LaneConnection.claim(dir)!;
    lane.send(request);
    await vi.waitFor(() => expect(received).toHaveLength(1));
    await vi.waitFor(() => expect(readdirSync(join(dir, TAKEN_DIR))).toEqual([]));
    await expect(lane.next(1000)).rejects.toBeInstanceOf(LaneClosed);
    lane.close();
  });

  it('times out on a server that never answers', async () => {
    answer = () => undefined;
    await startPool();
    const lane = LaneConnection.claim(dir)!;
    lane.send(request);
    await vi.waitFor(() => expect(received).toHaveLength(1));
    await expect(lane.next(50)).rejects.toThrow('no answer from the server within 50 ms');
    lane.close();
  });

  it('skips and removes a lane nobody serves (its server died)', async () => {
    for (const sub of [TAKEN_DIR, REPLIES_DIR]) mkdirSync(join(dir, sub), { recursive: true });
    await mkfifoWith(execaRunner)([join(dir, 'dead-1'), join(dir, REPLIES_DIR, 'dead-1')]);
    expect(LaneConnection.claim(dir)).toBeUndefined();
    expect(existsSync(join(dir, 'dead-1'))).toBe(false);
    expect(readdirSync(join(dir, TAKEN_DIR))).toEqual([]);
    expect(readdirSync(join(dir, REPLIES_DIR))).toEqual([]);
  });

  it('clears lanes left by an earlier server when it starts', async () => {
    mkdirSync(join(dir, 'dead-1'), { recursive: true, mode: 0o700 });
    await startPool();
    expect(laneNames(dir)).not.toContain('dead-1');
    expect(laneNames(dir)).toHaveLength(4);
  });

  it('closes a lane that was taken and never written to, and replaces it', async () => {
    await startPool({ abandonedAfterMs: 0 });
    const lane = LaneConnection.claim(dir)!;
    expect(pool.status().ready).toBe(4);
    await pool.sweep();
    expect(pool.status().ready).toBe(3);
    expect(readdirSync(join(dir, TAKEN_DIR))).toEqual([]);
    // The abandoned lane's server end is closed: its wrapper, had it lived, would hear so.
    await expect(lane.next(1000)).rejects.toBeInstanceOf(LaneClosed);
    lane.close();
  });

  it('with claim files (the fast path): a claimed lane stays offered, is closed when abandoned, and leaves nothing when done', async () => {
    await startPool({ claim: 'claim-file', abandonedAfterMs: 0 });
    const [abandoned, used] = laneNames(dir);
    writeFileSync(join(dir, TAKEN_DIR, abandoned!), '', { flag: 'wx' });
    // A second claim of the same lane fails: the shell's noclobber is this O_EXCL.
    expect(() => writeFileSync(join(dir, TAKEN_DIR, abandoned!), '', { flag: 'wx' })).toThrow(/EEXIST/);
    await pool.sweep(); // first seen claimed and silent
    await pool.sweep();
    expect(laneNames(dir)).not.toContain(abandoned);
    expect(readdirSync(join(dir, TAKEN_DIR))).toEqual([]);

    writeFileSync(join(dir, TAKEN_DIR, used!), '', { flag: 'wx' });
    const shell = spawnSync('sh', [
      '-c',
      `exec 8<>"$1" 9<"$2"; printf x >&8; exec 8>&-`,
      'sh',
      join(dir, used!),
      join(dir, REPLIES_DIR, used!),
    ]);
    expect(shell.status).toBe(0);
    await vi.waitFor(() => expect(laneNames(dir)).not.toContain(used));
    expect(readdirSync(join(dir, TAKEN_DIR))).toEqual([]);
    expect(readdirSync(join(dir, REPLIES_DIR))).not.toContain(used);

    // A claim, and the empty files a shell's <> leaves, for a lane removed just before it opened it.
    const gone = `${process.pid}-999`;
    for (const place of ['', REPLIES_DIR, TAKEN_DIR]) writeFileSync(join(dir, place, gone), '');
    await pool.sweep();
    for (const place of ['', REPLIES_DIR, TAKEN_DIR]) expect(readdirSync(join(dir, place))).not.toContain(gone);
    expect(laneNames(dir).length).toBeGreaterThan(0);
  });

  it('offers no lanes once closed; a conversation in progress goes on', async () => {
    await startPool();
    const talking = LaneConnection.claim(dir)!;
    talking.send(request);
    await vi.waitFor(() => expect(received).toHaveLength(1));
    await pool.close();
    expect(laneNames(dir)).toEqual([]);
    expect(LaneConnection.claim(dir)).toBeUndefined();
    expect(await talking.next(1000)).toMatchObject({ type: 'error' });
    talking.close();
  });

  it('falls back to the socket alone when FIFOs cannot be made, and says why once', async () => {
    await startPool({ makeFifos: () => Promise.reject(new Error('mkfifo: not found')), retryAfterMs: 0 });
    expect(pool.status()).toEqual({ served: 0, ready: 0, available: false });
    expect(LaneConnection.claim(dir)).toBeUndefined();
    await pool.sweep();
    await pool.sweep();
    expect(warnings).toEqual([
      'compile requests use the socket until lanes can be made (mkfifo: not found); trying again every minute',
    ]);
    // Nothing half-made is left to be taken.
    expect(readdirSync(join(dir, NEW_DIR))).toEqual([]);
    expect(readdirSync(join(dir, REPLIES_DIR))).toEqual([]);
  });

  it('makes lanes again after a failure that passes', async () => {
    let failures = 1;
    const mkfifo = mkfifoWith(execaRunner);
    await startPool({
      retryAfterMs: 0,
      makeFifos: (paths) => (failures-- > 0 ? Promise.reject(new Error('spawn mkfifo EAGAIN')) : mkfifo(paths)),
    });
    expect(pool.status().available).toBe(false);
    await pool.sweep();
    expect(pool.status()).toEqual({ served: 0, ready: 4, available: true });
    expect(laneNames(dir)).toHaveLength(4);
    expect(warnings).toHaveLength(1);
  });

  it('waits before trying again', async () => {
    let attempts = 0;
    await startPool({ retryAfterMs: 60_000, makeFifos: () => Promise.reject(new Error(`attempt ${(attempts += 1)}`)) });
    await pool.sweep();
    expect(attempts).toBe(1);
  });

  it('keeps the lanes of a server that still runs, and removes those of servers that are gone', async () => {
    const gone = spawnSync('true').pid;
    for (const sub of [NEW_DIR, TAKEN_DIR, REPLIES_DIR]) mkdirSync(join(dir, sub), { recursive: true, mode: 0o700 });
    // pid 1 always runs; `gone` has exited.
    const seeded = [
      '1-7',
      join(TAKEN_DIR, '1-8'),
      join(REPLIES_DIR, '1-8'),
      join(NEW_DIR, '1-9'),
      `${gone}-1`,
      join(TAKEN_DIR, `${gone}-2`),
      join(REPLIES_DIR, `${gone}-2`),
    ];
    for (const name of seeded) writeFileSync(join(dir, name), '');
    await startPool();
    expect(existsSync(join(dir, '1-7'))).toBe(true);
    expect(existsSync(join(dir, TAKEN_DIR, '1-8'))).toBe(true);
    expect(existsSync(join(dir, REPLIES_DIR, '1-8'))).toBe(true);
    expect(existsSync(join(dir, `${gone}-1`))).toBe(false);
    expect(existsSync(join(dir, TAKEN_DIR, `${gone}-2`))).toBe(false);
    expect(existsSync(join(dir, REPLIES_DIR, `${gone}-2`))).toBe(false);
    // Closing removes this server's lanes only.
    await pool.close();
    expect(laneNames(dir)).toEqual(['1-7']);
    expect(readdirSync(join(dir, NEW_DIR))).toEqual(['1-9']);
  });

  it('removes the lanes of a server that is a zombie (killed, not yet reaped)', async () => {
    // sh starts a child that exits shortly, then becomes `sleep`, which never reaps it. The child outlives
    // the exec: one that exited before it could be reaped by sh (it was, once).
    const parent = spawn('sh', ['-c', 'sleep 0.1 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const zombie = Number((await once(parent.stdout!, 'data'))[0].toString().trim());
      await vi.waitFor(() => expect(readFileSync(`/proc/${zombie}/stat`, 'utf8')).toMatch(/\) Z /));
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeFileSync(join(dir, `${zombie}-1`), '');
      await startPool();
      expect(existsSync(join(dir, `${zombie}-1`))).toBe(false);
    } finally {
      parent.kill();
    }
  });

  it('makes lanes again when the directory it makes them in was removed', async () => {
    await startPool();
    rmSync(join(dir, NEW_DIR), { recursive: true });
    const taken = [1, 2, 3, 4].map(() => LaneConnection.claim(dir)!);
    for (const lane of taken) lane.send(request);
    await vi.waitFor(() => expect(laneNames(dir)).toHaveLength(4));
    expect(pool.status().available).toBe(true);
    for (const lane of taken) lane.close();
  });

  it('never fails the server when the lanes directory cannot be made', async () => {
    writeFileSync(join(dir, '..', 'file'), '');
    dir = join(dir, '..', 'file', 'lanes');
    await startPool();
    expect(pool.status()).toEqual({ served: 0, ready: 0, available: false });
    expect(warnings).toHaveLength(1);
  });

  it('makes no lanes where FIFOs are not known to behave (not Linux)', async () => {
    let made = 0;
    await startPool({ platform: 'darwin', makeFifos: async () => void (made += 1) });
    await pool.sweep();
    expect(made).toBe(0);
    expect(existsSync(dir)).toBe(false);
    expect(pool.status()).toEqual({ served: 0, ready: 0, available: false, unsupported: true });
  });
});
