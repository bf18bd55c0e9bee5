import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatsSnapshot } from '../../src/stats/snapshot.js';
import { createSandbox, expectSuccess, requireBuiltAndInstalled, type Sandbox } from './harness.js';

async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  let value = await read();
  while (!accept(value)) {
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value).slice(0, 300)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}

describe('configuration edits apply to the running server', () => {
  let sandbox: Sandbox;
  let configFile: string;
  const cache = async (): Promise<StatsSnapshot['cache']> => (await sandbox.stats()).cache;

  beforeAll(async () => {
    requireBuiltAndInstalled('workspace');
    sandbox = createSandbox();
    configFile = join(sandbox.root, 'config', 'hoard', 'config.toml');
    expectSuccess(await sandbox.cargo(sandbox.project('workspace'), ['build']), 'build to fill the cache');
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('applies a new size limit without a restart, evicting down to it', async () => {
    const pid = JSON.parse((await sandbox.hoard(['server', 'status', '--json'])).stdout).pid as number;
    expect((await cache()).sizeBytes).toBeGreaterThan(1024 * 1024);
    mkdirSync(join(sandbox.root, 'config', 'hoard'), { recursive: true });
    writeFileSync(configFile, '# smaller cache\ncache_size = "1M"\n');
    const after = await eventually(
      cache,
      (value) => value.limitBytes === 1024 * 1024 && value.sizeBytes <= 1024 * 1024,
      'limit and size',
    );
    expect(after.entries).toBeGreaterThanOrEqual(0);
    expect(JSON.parse((await sandbox.hoard(['server', 'status', '--json'])).stdout).pid).toBe(pid);
  });

  it('reports a broken edit and keeps the last good configuration', async () => {
    writeFileSync(configFile, 'cache_size = "lots"\n');
    const status = await eventually(
      async () =>
        JSON.parse((await sandbox.hoard(['server', 'status', '--json'])).stdout) as { configProblem?: string },
      (value) => value.configProblem !== undefined,
      'status',
    );
    expect(status.configProblem).toMatch(/config\.toml:1: cache_size: expected a size/);
    expect((await cache()).limitBytes).toBe(1024 * 1024);
    writeFileSync(configFile, 'cache_size = "2M"\n');
    await eventually(cache, (value) => value.limitBytes === 2 * 1024 * 1024, 'limit after the fix');
    const fixed = JSON.parse((await sandbox.hoard(['server', 'status', '--json'])).stdout) as {
      configProblem?: string;
    };
    expect(fixed.configProblem).toBeUndefined();
  });
});
