import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../config/load.js';
import { emptyCounters } from '../stats/counters.js';
import type { StatsSnapshot } from '../stats/snapshot.js';
import { incrementalCheck, runChecks, somethingWrong, wrapperCheck, type DoctorFacts } from './doctor-checks.js';
import { cmakeCheck, ccVariablesCheck, compilerFacts } from './doctor-compilers.js';

const config: LoadedConfig = {
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

const base: DoctorFacts = {
  version: '1.0.0',
  config,
  env: { PATH: '/usr/bin' },
  wrapperIsHoard: false,
  wrapperFound: false,
  socketPath: '/run/user/1/hoard/server.sock',
  maxSocketPathBytes: 107,
  compilers: { variables: {}, cargoProject: false },
};

function stats(notCacheable: Record<string, number>, requests: number): StatsSnapshot {
  return {
    counters: { ...emptyCounters(), requests, notCacheable },
    worktrees: {},
    since: '',
    cache: { dir: '/c', sizeBytes: 0, limitBytes: 100, entries: 0 },
    server: { running: true },
  };
}

describe('hoard doctor for C and C++', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('passes a C-only set-up: cargo is "not used here", not a failure', () => {
    const facts: DoctorFacts = {
      ...base,
      compilers: { variables: { CC: 'hoard gcc', CXX: 'hoard g++' }, cargoProject: false },
    };
    expect(ccVariablesCheck(facts).status).toBe('ok');
    expect(wrapperCheck(facts)).toMatchObject({ status: 'info', message: expect.stringMatching(/^not used here/) });
    expect(incrementalCheck(facts)).toMatchObject({ status: 'info', message: expect.stringMatching(/^not used here/) });
    expect(somethingWrong(runChecks(facts))).toBe(false);
  });

  it('still fails when nothing at all goes through hoard, or a Cargo.toml is here without the wrapper', () => {
    expect(wrapperCheck(base).status).toBe('fail');
    expect(wrapperCheck({ ...base, compilers: { variables: { CC: 'hoard gcc' }, cargoProject: true } }).status).toBe(
      'fail',
    );
  });

  it('names CC or CXX values that do not go through hoard, with the line that would', () => {
    const check = ccVariablesCheck({
      ...base,
      compilers: { variables: { CC: 'hoard gcc', CXX: 'g++' }, cargoProject: false },
    });
    expect(check).toMatchObject({ status: 'info', message: expect.stringContaining('export CXX="hoard g++"') });
    expect(ccVariablesCheck(base).message).toMatch(/^not used here/);
  });

  it("reads a CMake build directory's launcher from its CMakeCache.txt", () => {
    const dir = mkdtempSync(join(tmpdir(), 'hoard-doctor-cmake-'));
    dirs.push(dir);
    writeFileSync(
      join(dir, 'CMakeCache.txt'),
      'CMAKE_C_COMPILER:FILEPATH=/usr/bin/cc\nCMAKE_C_COMPILER_LAUNCHER:UNINITIALIZED=hoard\n',
    );
    const facts = compilerFacts(dir, {});
    expect(facts.cmake?.launchers).toEqual({ C: 'hoard' });
    const through = cmakeCheck({ ...base, compilers: facts });
    expect(through).toMatchObject({ status: 'ok', message: expect.stringContaining('compiles C through hoard') });
    expect(somethingWrong(runChecks({ ...base, compilers: facts }))).toBe(false);
    writeFileSync(
      join(dir, 'CMakeCache.txt'),
      'CMAKE_C_COMPILER:FILEPATH=/usr/bin/cc\nCMAKE_CXX_COMPILER:FILEPATH=/usr/bin/c++\n',
    );
    const plain = cmakeCheck({ ...base, compilers: compilerFacts(dir, {}) });
    expect(plain).toMatchObject({
      status: 'info',
      message: expect.stringContaining(
        "'cmake -DCMAKE_C_COMPILER_LAUNCHER=hoard -DCMAKE_CXX_COMPILER_LAUNCHER=hoard .'",
      ),
    });
    expect(cmakeCheck({ ...base, compilers: compilerFacts(tmpdir(), {}) }).message).toMatch(/^not used here/);
  });

  it('warns about incremental compilation only when incremental compiles were seen', () => {
    const cargo: DoctorFacts = {
      ...base,
      wrapper: { value: 'hoard', from: 'environment variable RUSTC_WRAPPER' },
      wrapperIsHoard: true,
      wrapperFound: true,
    };
    expect(incrementalCheck({ ...cargo, stats: stats({}, 144) })).toMatchObject({
      status: 'info',
      message: expect.stringContaining('none of the 144 compiles'),
    });
    expect(incrementalCheck({ ...cargo, stats: stats({ incremental: 2 }, 144) }).status).toBe('warn');
  });
});
