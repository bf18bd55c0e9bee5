import type { LoadedConfig } from '../config/load.js';
import type { ContentHashName } from '../fs/content-hash.js';
import { maskRemotes, remoteLabel, type RemoteConfig } from '../config/remotes.js';
import type { ConfigKey } from '../config/schema.js';
import { formatBytes } from '../stats/format-units.js';
import { sumOf } from '../stats/counters.js';
import { REASON_HINTS } from '../stats/format.js';
import type { ServerStatus } from '../protocol/messages.js';
import type { StatsSnapshot } from '../stats/snapshot.js';
import type { CargoSetting } from './cargo-settings.js';
import { missCauseChecks } from './doctor-miss-causes.js';
import type { SavedHistory } from '../why/history.js';
import { cargoApplies, compilerChecks, type CompilerFacts } from './doctor-compilers.js';

/**
 * What `hoard doctor` looks at, gathered beforehand so the judgements below are plain functions.
 * `ok` and `info` lines are fine; `warn` costs hits; `fail` means hoard is not working as set up.
 */
export type CheckStatus = 'ok' | 'info' | 'warn' | 'fail';

export interface Check {
  id: string;
  status: CheckStatus;
  message: string;
}

/** What the doctor reads of the server's status reply. */
export type ServerFacts = Pick<ServerStatus, 'pid' | 'version'> & Partial<ServerStatus>;

export interface DoctorFacts {
  version: string;
  env: Record<string, string | undefined>;
  /** Where cargo's wrapper setting comes from, looked up from the working directory as cargo does. */
  wrapper?: CargoSetting;
  wrapperIsHoard: boolean;
  /** The wrapper setting names a program that can be found (on PATH, or as a path). */
  wrapperFound: boolean;
  incremental?: CargoSetting;
  config?: LoadedConfig;
  configError?: string;
  /** undefined: no server runs; a string: it could not be asked. */
  server?: ServerFacts | string;
  stats?: StatsSnapshot;
  cacheDirProblem?: string;
  freeBytes?: number;
  socketPath: string;
  /** Why the socket's directory fails the rendezvous check (src/protocol/rendezvous.ts), if it does. */
  rendezvousProblem?: string;
  maxSocketPathBytes: number;
  /** What `hoard why` keeps: the recent misses and their causes (doctor-miss-causes.ts). */
  whyHistory?: SavedHistory;
  /** C and C++: CC/CXX, this directory's CMake build, whether a Cargo.toml is here (doctor-compilers.ts). */
  compilers?: CompilerFacts;
  /** Which BLAKE3 hashes files in this install (src/fs/content-hash.ts); the server loads the same one. */
  contentHash?: ContentHashName | 'missing';
}

const FIX_WRAPPER =
  "run 'hoard init' (sets [build] rustc-wrapper in ~/.cargo/config.toml) or export RUSTC_WRAPPER=hoard";

export function wrapperCheck(facts: DoctorFacts): Check {
  const { wrapper } = facts;
  const id = 'wrapper';
  if (!cargoApplies(facts))
    return {
      id,
      status: 'info',
      message:
        "not used here: no Cargo.toml here and no rustc wrapper set, while C or C++ compiles go through hoard; for Rust, 'hoard init'.",
    };
  if (!wrapper)
    return {
      id,
      status: 'fail',
      message: `cargo does not go through hoard: no RUSTC_WRAPPER and no build.rustc-wrapper in the cargo config files from here up or in CARGO_HOME; ${FIX_WRAPPER}.`,
    };
  if (String(wrapper.value).trim() === '')
    return {
      id,
      status: 'fail',
      message: `cargo does not go through hoard: ${wrapper.from} is empty, which turns the wrapper off; unset it, or ${FIX_WRAPPER}.`,
    };
  if (!facts.wrapperIsHoard) {
    return {
      id,
      status: 'fail',
      message: `cargo runs rustc through ${JSON.stringify(wrapper.value)} (${wrapper.from}), not hoard; set it to hoard there, or run 'hoard init --replace-wrapper' for ~/.cargo/config.toml.`,
    };
  }
  if (!facts.wrapperFound) {
    return {
      id,
      status: 'fail',
      message: `cargo is set to run ${JSON.stringify(wrapper.value)} (${wrapper.from}) but it is not found: builds fail to start; put hoard's bin/ on PATH or name its full path.`,
    };
  }
  return {
    id,
    status: 'ok',
    message: `cargo runs rustc through hoard (${JSON.stringify(wrapper.value)}, ${wrapper.from}).`,
  };
}

export function incrementalCheck(facts: DoctorFacts): Check {
  const id = 'incremental';
  const counters = facts.stats?.counters;
  const uncached = counters?.notCacheable.incremental ?? 0;
  const cost =
    counters && counters.requests > 0
      ? ` So far ${uncached} of ${counters.requests} compiles ran uncached because of it.`
      : '';
  const fix = "set [build] incremental = false in ~/.cargo/config.toml ('hoard init' does) or CARGO_INCREMENTAL=0";
  const setting = facts.incremental;
  if (!cargoApplies(facts)) return { id, status: 'info', message: 'not used here: cargo does not build here.' };
  if (setting?.value === false)
    return {
      id,
      status: 'ok',
      message: `incremental compilation is off (${setting.from}): your own crates can be cached.${cost}`,
    };
  const where = setting ? `on (${setting.from})` : "on for dev builds (cargo's default)";
  // A warning only when it has cost something: builds that never compile incrementally (release
  // builds, CARGO_INCREMENTAL set by the build) lose nothing to the setting.
  if (uncached === 0) {
    const seen =
      counters && counters.requests > 0
        ? `none of the ${counters.requests} compiles recorded was incremental`
        : 'no compiles recorded yet';
    return {
      id,
      status: 'info',
      message: `incremental compilation is ${where}, but ${seen}. If your dev builds miss, ${fix}.`,
    };
  }
  return {
    id,
    status: 'warn',
    message: `incremental compilation is ${where}: your workspace's own crates compile incrementally and are never cached (registry crates still are).${cost} To cache them, ${fix}.`,
  };
}

export function tmpdirCheck(facts: DoctorFacts): Check {
  const tmpdir = facts.env.TMPDIR;
  if (!tmpdir || tmpdir === '/tmp' || tmpdir === '/tmp/')
    return { id: 'tmpdir', status: 'ok', message: `TMPDIR is ${tmpdir ?? 'unset (/tmp)'}.` };
  return {
    id: 'tmpdir',
    status: 'info',
    message: `TMPDIR is ${tmpdir} in this shell; harmless to hoard even if it is deleted later: the server uses its own (<cache>/tmp) and compiles run in your build, with your build's TMPDIR.`,
  };
}

function describeValue(key: string, value: unknown): string {
  if (key === 'cache_size' && typeof value === 'number') return formatBytes(value);
  if (key === 'remotes' && Array.isArray(value))
    return `[${(value as RemoteConfig[]).map((remote) => remoteLabel(remote)).join(', ')}]`;
  return JSON.stringify(value);
}

/** The server of this version, with the configuration this shell would give it. */
export function serverCheck(facts: DoctorFacts): Check[] {
  const id = 'server';
  const { server } = facts;
  if (server === undefined) return [{ id, status: 'ok', message: 'no server runs; the next compile starts one.' }];
  if (typeof server === 'string') return [{ id, status: 'warn', message: server }];
  const checks: Check[] = [];
  if (server.version !== facts.version) {
    checks.push({
      id,
      status: 'warn',
      message: `the running server (pid ${server.pid}) is hoard ${server.version}, this is ${facts.version}: 'hoard server stop' (builds in progress finish; the next compile starts this version).`,
    });
  } else {
    checks.push({ id, status: 'ok', message: `the server runs (pid ${server.pid}, hoard ${server.version}).` });
  }
  if (server.configProblem) {
    checks.push({
      id: 'server-config',
      status: 'fail',
      message: `the server cannot use the config file: ${server.configProblem} It keeps the last good configuration until the file is fixed.`,
    });
  } else if (server.config && facts.config) {
    const differences = Object.entries(facts.config.config)
      // The server reports its remotes with passwords masked: compare them masked.
      .filter(
        ([key, value]) =>
          JSON.stringify(server.config![key]) !==
          JSON.stringify(key === 'remotes' ? maskRemotes(value as RemoteConfig[]) : value),
      )
      .map(
        ([key, value]) =>
          `${key} ${describeValue(key, server.config![key])} (${server.configSources?.[key] ?? '?'}) where this shell says ${describeValue(key, value)} (${facts.config!.sources[key as ConfigKey]})`,
      );
    if (differences.length > 0) {
      checks.push({
        id: 'server-config',
        status: 'warn',
        message: `the server runs another configuration (an older one, or another shell's environment): ${differences.join('; ')}. Settings that must last belong in the config file ('hoard config set'); 'hoard server stop' lets the next compile start a server with this shell's.`,
      });
    } else {
      checks.push({
        id: 'server-config',
        status: 'ok',
        message: 'the server runs the configuration this shell would give it.',
      });
    }
  } else if (!server.config) {
    checks.push({
      id: 'server-config',
      status: 'info',
      message: "the server does not report its configuration (an older hoard); 'hoard server stop' replaces it.",
    });
  }
  return checks;
}

export function configCheck(facts: DoctorFacts): Check {
  if (facts.configError) return { id: 'config', status: 'fail', message: `${facts.configError}` };
  const loaded = facts.config!;
  if (!loaded.fileExists) {
    return {
      id: 'config',
      status: 'info',
      message: `no config file (${loaded.file}): the defaults apply, or environment variables of whichever shell starts the server; 'hoard init' or 'hoard config set cache_size 20G' writes one.`,
    };
  }
  return { id: 'config', status: 'ok', message: `config file ${loaded.file}.` };
}

export function cacheCheck(facts: DoctorFacts): Check {
  const id = 'cache';
  if (facts.cacheDirProblem) return { id, status: 'fail', message: facts.cacheDirProblem };
  const cache = facts.stats?.cache;
  if (!cache) return { id, status: 'ok', message: 'the cache directory is writable.' };
  const used = `${formatBytes(cache.sizeBytes)} of ${formatBytes(cache.limitBytes)} (${cache.entries} entries) in ${cache.dir}`;
  if (facts.freeBytes !== undefined && facts.freeBytes < cache.limitBytes - cache.sizeBytes) {
    return {
      id,
      status: 'warn',
      message: `${used}, but only ${formatBytes(facts.freeBytes)} free on its disk: lower cache_size ('hoard config set cache_size …') or free some space.`,
    };
  }
  if (cache.sizeBytes >= 0.9 * cache.limitBytes) {
    return {
      id,
      status: 'info',
      message: `${used}: near its limit, so the least recently used entries make room for new ones; if hits drop, 'hoard config set cache_size …' raises it.`,
    };
  }
  return { id, status: 'ok', message: `${used}.` };
}

export function socketCheck(facts: DoctorFacts): Check {
  const bytes = Buffer.byteLength(facts.socketPath);
  if (bytes > facts.maxSocketPathBytes) {
    return {
      id: 'socket',
      status: 'fail',
      message: `the socket path ${facts.socketPath} is ${bytes} bytes, more than the ${facts.maxSocketPathBytes} a Unix socket allows: every compile runs uncached; set XDG_RUNTIME_DIR (or HOARD_DIR) to a shorter directory.`,
    };
  }
  if (facts.rendezvousProblem)
    return { id: 'socket', status: 'fail', message: `every compile runs uncached: ${facts.rendezvousProblem}.` };
  return { id: 'socket', status: 'ok', message: `socket ${facts.socketPath}.` };
}

/** Without the native addon every hit's copies are hashed by wasm: correct, but a restore costs more. */
export function hashingCheck(facts: DoctorFacts): Check[] {
  if (facts.contentHash === undefined) return [];
  if (facts.contentHash === 'native')
    return [{ id: 'hashing', status: 'ok', message: 'BLAKE3 from the native addon.' }];
  if (facts.contentHash === 'missing')
    return [
      {
        id: 'hashing',
        status: 'fail',
        message:
          "neither the native BLAKE3 (@napi-rs/blake-hash) nor blake3-wasm loads from hoard's node_modules, so nothing can be keyed and every compile runs uncached: reinstall hoard ('npm ci' in its directory).",
      },
    ];
  return [
    {
      id: 'hashing',
      status: 'info',
      message: `BLAKE3 from blake3-wasm: hoard installs a native build of it (@napi-rs/blake-hash) for linux-x64 only, or it does not load here (${process.platform}-${process.arch}), so every restored file is hashed several times more slowly; hits are still checked and correct.`,
    },
  ];
}

/** The most common reasons compiles were not cached, with the hint `hoard stats` gives. */
export function reasonChecks(facts: DoctorFacts, shown = 3): Check[] {
  const counters = facts.stats?.counters;
  if (!counters || counters.requests === 0)
    return [{ id: 'not-cached', status: 'info', message: 'no compiles recorded yet.' }];
  const total = sumOf(counters.notCacheable);
  if (total === 0)
    return [
      { id: 'not-cached', status: 'ok', message: `every one of ${counters.requests} compiles recorded was cacheable.` },
    ];
  return Object.entries(counters.notCacheable)
    .sort(([, a], [, b]) => b - a)
    .slice(0, shown)
    .map(([reason, count]) => ({
      id: 'not-cached',
      status: 'info' as const,
      message: `${count} of ${counters.requests} compiles not cached: ${reason}${REASON_HINTS[reason] ? ` (${REASON_HINTS[reason]})` : ''}.`,
    }));
}

/** Several worktrees of one repository build here, but without base directories they share no workspace crates. */
export function worktreeChecks(facts: DoctorFacts): Check[] {
  if (!facts.stats || !facts.config || facts.config.config.basedirs.length > 0) return [];
  const byRepository = new Map<string, string[]>();
  for (const record of Object.values(facts.stats.worktrees)) {
    if (!record.worktree.repository) continue;
    byRepository.set(record.worktree.repository, [
      ...(byRepository.get(record.worktree.repository) ?? []),
      record.worktree.name,
    ]);
  }
  return [...byRepository.values()]
    .filter((names) => names.length > 1)
    .map((names) => ({
      id: 'worktrees',
      status: 'info' as const,
      message: `${names.length} worktrees of ${names[0]} build through hoard, and each compiles your workspace's own crates anew: 'hoard config set basedirs auto' lets them share those compiles.`,
    }));
}

export function runChecks(facts: DoctorFacts): Check[] {
  return [
    wrapperCheck(facts),
    incrementalCheck(facts),
    tmpdirCheck(facts),
    configCheck(facts),
    ...serverCheck(facts),
    cacheCheck(facts),
    socketCheck(facts),
    ...hashingCheck(facts),
    ...reasonChecks(facts),
    ...worktreeChecks(facts),
    ...missCauseChecks(facts),
    ...compilerChecks(facts),
  ];
}

export function somethingWrong(checks: readonly Check[]): boolean {
  return checks.some((check) => check.status === 'warn' || check.status === 'fail');
}
