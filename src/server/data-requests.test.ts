import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../config/load.js';
import { PROTOCOL_VERSION, type ServerStatus } from '../protocol/messages.js';
import { emptyCounters } from '../stats/counters.js';
import type { StatsSnapshot } from '../stats/snapshot.js';
import { dataRequestHandlers } from './data-requests.js';

describe('dataRequestHandlers', () => {
  const loaded = defaultConfig({ HOARD_DIR: '/tmp/hoard-data-requests', HOME: '/tmp' });
  function handlers(events: string[]) {
    let hits = 5;
    const snapshot = (): StatsSnapshot => ({
      counters: { ...emptyCounters(), hits },
      worktrees: {},
      since: 'then',
      cache: { dir: '/c', sizeBytes: 0, limitBytes: 1, entries: 0 },
      server: { running: true },
    });
    return dataRequestHandlers({
      snapshot,
      zero: () => {
        hits = 0;
        events.push('zero');
      },
      config: { loaded, config: loaded.config, problem: 'config.toml:1: oops' },
      socketPath: '/run/hoard/server.sock',
      lanes: () => ({ served: 3, ready: 61, available: true }),
      startedAt: 1000,
      stop: (why) => events.push(`stop: ${why}`),
      now: () => 4000,
    });
  }

  it('answers stats, and zero-stats with the statistics after zeroing', async () => {
    const events: string[] = [];
    const table = handlers(events);
    expect((await table.stats({ v: PROTOCOL_VERSION, type: 'stats' })).counters.hits).toBe(5);
    expect((await table['zero-stats']({ v: PROTOCOL_VERSION, type: 'zero-stats' })).counters.hits).toBe(0);
    expect(events).toEqual(['zero']);
  });

  it('answers status with the server, the lanes and the configuration in force', async () => {
    const status: ServerStatus = await handlers([]).status({ v: PROTOCOL_VERSION, type: 'status' });
    expect(status).toMatchObject({
      running: true,
      pid: process.pid,
      uptimeMs: 3000,
      protocol: PROTOCOL_VERSION,
      socket: '/run/hoard/server.sock',
      lanes: { served: 3, ready: 61, available: true },
      configFile: loaded.file,
      configProblem: 'config.toml:1: oops',
      config: { cache_size: loaded.config.cache_size },
      configSources: { cache_size: 'default' },
    });
  });

  it('answers shutdown first and begins the drain after', async () => {
    const events: string[] = [];
    expect(await handlers(events).shutdown({ v: PROTOCOL_VERSION, type: 'shutdown' })).toEqual({ stopping: true });
    expect(events).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(['stop: asked to stop']);
  });
});
