import { mkdtempSync, rmSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Lifecycle, type LifecycleOptions } from './lifecycle.js';
import { Logger } from './logger.js';

describe('Lifecycle', () => {
  let root: string;
  let clock: number;
  let steps: string[];
  let owns: boolean;
  let idleSeconds: number;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'hoard-lifecycle-'));
    clock = 1_000_000;
    steps = [];
    owns = true;
    idleSeconds = 600;
  });

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  function lifecycle(overrides: Partial<LifecycleOptions> = {}): Lifecycle {
    return new Lifecycle({
      log: new Logger('info', { file: join(root, 'server.log'), errorLog: join(root, 'error.log') }),
      stopTaking: async (why) => void steps.push(`stop taking: ${why}`),
      finish: async () => void steps.push('finish'),
      ownsSocket: async () => owns,
      sweep: async () => void steps.push('sweep'),
      idleTimeoutSeconds: () => idleSeconds,
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
        steps.push(`sleep ${ms}`);
      },
      ...overrides,
    });
  }

  it('drains once: stops taking, waits for the open conversations, finishes, exits 0', async () => {
    const life = lifecycle();
    const end = life.conversationStarted();
    const drained = life.drain('asked to stop');
    void life.drain('asked again');
    await Promise.resolve();
    expect(life.isDraining).toBe(true);
    end();
    await drained;
    expect(await life.finished).toBe(0);
    expect(steps.filter((step) => !step.startsWith('sleep'))).toEqual(['stop taking: asked to stop', 'finish']);
    expect(life.openConversations).toBe(0);
  });

  it('stops waiting for conversations at the drain limit', async () => {
    const life = lifecycle({ drainLimitMs: 200 });
    life.conversationStarted();
    await life.drain('asked to stop');
    expect(steps).toEqual(['stop taking: asked to stop', 'sleep 50', 'sleep 50', 'sleep 50', 'sleep 50', 'finish']);
    expect(life.openConversations).toBe(1);
  });

  it('drains when idle longer than idle_timeout with no conversation open, and not before', async () => {
    const life = lifecycle();
    clock += 600_000;
    await life.housekeeping();
    expect(life.isDraining).toBe(false);
    const end = life.conversationStarted();
    clock += 700_000;
    await life.housekeeping();
    expect(life.isDraining).toBe(false);
    end();
    clock += 600_001;
    await life.housekeeping();
    expect(steps).toEqual(['sweep', 'sweep', 'sweep', 'stop taking: idle for 600 s', 'finish']);
  });

  it('a message keeps the server from idling out; idle_timeout 0 never idles out', async () => {
    const life = lifecycle();
    clock += 500_000;
    life.touch();
    clock += 500_000;
    await life.housekeeping();
    expect(life.isDraining).toBe(false);
    idleSeconds = 0;
    clock += 10_000_000;
    await life.housekeeping();
    expect(life.isDraining).toBe(false);
  });

  it('drains when another server took the socket path', async () => {
    const life = lifecycle();
    owns = false;
    await life.housekeeping();
    expect(steps).toEqual(['stop taking: the socket path now belongs to another server', 'finish']);
  });

  it('drains on SIGTERM, SIGINT and SIGHUP', async () => {
    const signals = new EventEmitter();
    const life = lifecycle();
    life.drainOnSignals(signals as unknown as NodeJS.Process);
    signals.emit('SIGHUP');
    expect(await life.finished).toBe(0);
    expect(steps).toEqual(['stop taking: received SIGHUP', 'finish']);
  });
});
