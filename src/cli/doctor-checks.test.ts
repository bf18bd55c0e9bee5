import { describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../config/load.js';
import { emptyCounters } from '../stats/counters.js';
import { REASON_HINTS } from '../stats/format.js';
import type { StatsSnapshot } from '../stats/snapshot.js';
import {
  cacheCheck,
  hashingCheck,
  incrementalCheck,
  reasonChecks,
  runChecks,
  serverCheck,
  socketCheck,
  somethingWrong,
  worktreeChecks,
  wrapperCheck,
  type DoctorFacts,
} from './doctor-checks.js';

const loaded: LoadedConfig = {
  config: {
    basedirs: [],
    cache_access: 'private',
    cache_dir: '/c',
    cache_size: 20 * 1024 ** 3,
    compression_level: 3,
    idle_timeout: 600,
    linked_crates: ['proc-macro'],
    log_level: 'info',
    remotes: [],
  },
  sources: {
    basedirs: 'default',
    cache_access: 'default',
    cache_dir: 'default',
    cache_size: 'file',
    compression_level: 'default',
    idle_timeout: 'default',
    linked_crates: 'default',
    log_level: 'default',
    remotes: 'default',
  },
  file: '/home/u/.config/hoard/config.toml',
  fileExists: true,
};

function snapshot(
  notCacheable: Record<string, number>,
  requests: number,
  cache = { dir: '/c', sizeBytes: 0, limitBytes: 100, entries: 0 },
): StatsSnapshot {
  return {
    counters: { ...emptyCounters(), requests, notCacheable },
    worktrees: {},
    since: '',
    cache,
    server: { running: true },
  };
}

const healthy: DoctorFacts = {
  version: '1.0.0',
  env: {},
  wrapper: { value: 'hoard', from: '/home/u/.cargo/config.toml', file: '/home/u/.cargo/config.toml' },
  wrapperIsHoard: true,
  wrapperFound: true,
  incremental: { value: false, from: '/home/u/.cargo/config.toml' },
  config: loaded,
  socketPath: '/run/user/1/hoard/server.sock',
  maxSocketPathBytes: 107,
};

describe('hoard doctor checks', () => {
  it('finds nothing wrong with a set-up machine', () => {
    expect(somethingWrong(runChecks(healthy))).toBe(false);
  });

  it('says which BLAKE3 hashes restores, what the wasm one costs, and that without either nothing is cached', () => {
    expect(hashingCheck({ ...healthy, contentHash: 'native' })).toEqual([
      { id: 'hashing', status: 'ok', message: 'BLAKE3 from the native addon.' },
    ]);
    const [wasm] = hashingCheck({ ...healthy, contentHash: 'wasm' });
    expect(wasm?.status).toBe('info');
    expect(wasm?.message).toMatch(
      /^BLAKE3 from blake3-wasm: hoard installs a native build of it .* for linux-x64 only/,
    );
    expect(somethingWrong(runChecks({ ...healthy, contentHash: 'wasm' }))).toBe(false);
    const [missing] = hashingCheck({ ...healthy, contentHash: 'missing' });
    expect(missing?.status).toBe('fail');
    expect(missing?.message).toMatch(/every compile runs uncached: reinstall hoard/);
  });

  it('fails when cargo does not go through hoard, naming where the setting came from', () => {
    expect(wrapperCheck({ ...healthy, wrapper: undefined, wrapperIsHoard: false }).status).toBe('fail');
    const other = wrapperCheck({
      ...healthy,
      wrapper: { value: 'sccache', from: 'environment variable RUSTC_WRAPPER' },
      wrapperIsHoard: false,
    });
    expect(other).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('"sccache" (environment variable RUSTC_WRAPPER), not hoard'),
    });
    expect(
      wrapperCheck({ ...healthy, wrapper: { value: '', from: 'environment variable RUSTC_WRAPPER' } }).message,
    ).toMatch(/is empty/);
  });

  it('says what incremental compilation costs, from the counter', () => {
    const check = incrementalCheck({
      ...healthy,
      incremental: { value: true, from: 'environment variable CARGO_INCREMENTAL' },
      stats: snapshot({ incremental: 3 }, 10),
    });
    expect(check.status).toBe('warn');
    expect(check.message).toContain('3 of 10 compiles ran uncached');
    expect(incrementalCheck({ ...healthy, incremental: undefined }).message).toContain("cargo's default");
  });

  it('compares the configuration the server runs with this shell’s', () => {
    const server = {
      pid: 7,
      version: '1.0.0',
      protocol: 1,
      config: { ...loaded.config, cache_size: 10 * 1024 ** 3 },
      configSources: { cache_size: 'environment' as const },
    };
    const [, config] = serverCheck({ ...healthy, server });
    expect(config).toMatchObject({
      status: 'warn',
      message: expect.stringContaining('cache_size 10.0 GiB (environment) where this shell says 20.0 GiB (file)'),
    });
    expect(serverCheck({ ...healthy, server: { ...server, version: '0.9.0' } })[0]!.message).toMatch(
      /is hoard 0\.9\.0, this is 1\.0\.0/,
    );
    expect(serverCheck({ ...healthy, server: { ...server, configProblem: 'x.toml:1: bad.' } })[1]!.status).toBe('fail');
  });

  it('flags a socket path too long for a Unix socket and a disk smaller than the cache may grow', () => {
    expect(socketCheck({ ...healthy, socketPath: `/${'d'.repeat(120)}/server.sock` }).status).toBe('fail');
    expect(socketCheck({ ...healthy, rendezvousProblem: '/run/x/hoard is a symbolic link: remove it' })).toEqual({
      id: 'socket',
      status: 'fail',
      message: 'every compile runs uncached: /run/x/hoard is a symbolic link: remove it.',
    });
    expect(cacheCheck({ ...healthy, stats: snapshot({}, 0), freeBytes: 10 }).status).toBe('warn');
    expect(
      cacheCheck({
        ...healthy,
        stats: snapshot({}, 0, { dir: '/c', sizeBytes: 95, limitBytes: 100, entries: 1 }),
        freeBytes: 1000,
      }).message,
    ).toMatch(/near its limit/);
  });

  it('lists the most common reasons compiles were not cached, with the hints of hoard stats', () => {
    const checks = reasonChecks({
      ...healthy,
      stats: snapshot({ stdin: 1, 'crate-type': 9, incremental: 4, emit: 2 }, 30),
    });
    expect(checks.map((check) => /not cached: ([a-z-]+)/.exec(check.message)?.[1])).toEqual([
      'crate-type',
      'incremental',
      'emit',
    ]);
    expect(checks[0]!.message).toContain(REASON_HINTS['crate-type']);
  });

  it('suggests base directories when several worktrees of one repository build here without them', () => {
    const record = (name: string, root: string) => ({
      worktree: { repository: '/r/.git', name, root, branch: 'main' },
      counters: emptyCounters(),
      servedBy: {},
      lastActivity: '',
    });
    const stats = { ...snapshot({}, 4), worktrees: { a: record('r', '/r'), b: record('r', '/r-feature') } };
    expect(worktreeChecks({ ...healthy, stats })).toEqual([
      { id: 'worktrees', status: 'info', message: expect.stringContaining('2 worktrees of r build through hoard') },
    ]);
    expect(
      worktreeChecks({ ...healthy, stats, config: { ...loaded, config: { ...loaded.config, basedirs: ['auto'] } } }),
    ).toEqual([]);
  });
});
