import { makeDirectory } from '../fs/make-directory.js';
import { existsSync, rmSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { availableParallelism, homedir } from 'node:os';
import { join } from 'node:path';
import { DiskStore } from '../cache/disk-store.js';
import { applyCacheAccess } from '../fs/cache-access.js';
import { ManifestStore } from '../cache/manifest-store.js';
import { TieredStore } from '../cache/tiered-store.js';
import { CcCompilers } from '../compiler/cc/compiler-identity.js';
import { Linkers } from '../compiler/rustc/linker.js';
import { Toolchains } from '../compiler/rustc/toolchain.js';
import { loadConfig } from '../config/load.js';
import type { LogLevel } from '../config/schema.js';
import { watchConfigFile } from '../config/watch.js';
import { execaRunner } from '../exec/process-runner.js';
import { useHashWorkers } from '../hash/blake3.js';
import { DigestMemo } from '../hash/digest-memo.js';
import { resolveLocations } from '../protocol/locations.js';
import { PROTOCOL_VERSION } from '../protocol/messages.js';
import type { StatsSnapshot } from '../stats/snapshot.js';
import { WorktreeLocator } from '../worktree/locate.js';
import { HOARD_VERSION } from '../version.js';
import { CcHandler } from './cc-handler.js';
import { preprocessedShapes } from './preprocessed-shapes.js';
import { CompileFlow } from './compile-flow.js';
import { compileRequestHandler } from './compile-request.js';
import { ConfigInForce, loadStartingConfig } from './config-reload.js';
import { Connections } from './connection.js';
import { dataRequestHandlers, serverPart } from './data-requests.js';
import { dispatchRequest, type RequestHandlers } from './dispatch.js';
import { LanePool, mkfifoWith } from './lane-pool.js';
import { SH_LANES_DIR, TOLD_DIR } from '../protocol/lanes.js';
import { serveShConversation, type FastPathCounts, type WrapperParts } from './sh-lane.js';
import { startShWatchdog, type ShWatchdog } from './sh-watchdog.js';
import { Lifecycle } from './lifecycle.js';
import { ownsSocketPath, releaseSocketPath, takeSocketPath } from './listener.js';
import { LiveFeed, type CompileReport } from './live-feed.js';
import { Logger } from './logger.js';
import { RustHandler } from './rust-handler.js';
import { SingleFlight } from './single-flight.js';
import { StatsStore } from '../stats/stats-store.js';
import { RemoteSet } from '../cache/remote/remote-set.js';
import { MissExplainer } from '../why/explainer.js';

/*
 * The composition root: builds the server's parts and wires them together. Conversations are
 * connection.ts's, requests go through dispatch.ts's table, stopping is lifecycle.ts's, config edits
 * config-reload.ts's; compiles take compile-request.ts → compiler-handler.ts → compile-flow.ts.
 */

export interface ServerOptions {
  foreground: boolean;
  logLevel?: LogLevel;
  /** dist/hash-worker.mjs, where the build has it: large files are then hashed in threads. */
  hashWorkerScript?: URL;
  /** The wrapper's checks and file writing, for bin/hoard's fast path; without them it has no lanes. */
  wrapperParts?: WrapperParts;
  /** dist/sh-watchdog.mjs: tells the fast path's shells when this server goes silent (sh-watchdog-process.ts). */
  shWatchdogScript?: URL;
}

const HOUSEKEEPING_INTERVAL_MS = 2000;
/**
 * Lanes kept ready: more than the compiles a busy build has waiting at once, at two descriptors each;
 * refilled in batches of half this, so each `mkfifo` run (docs/decisions.md) serves 32 compiles.
 */
const READY_LANES = 64;
/**
 * A server whose event loop has not turned for this long is silent: the shells waiting on its lanes
 * compile directly. Long enough for any pause a working server makes (a hit's copies are asynchronous).
 */
const SH_STALL_MS = 10_000;
/** How long a stopping server waits for the uploads still queued. */
const UPLOAD_DRAIN_LIMIT_MS = 60_000;
/** Staging directories older than this were left by a server that died mid-store. */
const STALE_STAGING_MS = 60 * 60_000;

async function removeStaleStaging(tmpDir: string): Promise<void> {
  const now = Date.now();
  for (const name of await readdir(tmpDir).catch(() => [] as string[])) {
    const path = join(tmpDir, name);
    const info = await stat(path).catch(() => undefined);
    if (info && now - info.mtimeMs > STALE_STAGING_MS) await rm(path, { recursive: true, force: true });
  }
}

/** Runs the cache server until it is idle, stopped, replaced, or superseded by another version. */
export async function runServer(options: ServerOptions): Promise<number> {
  const env = process.env;
  const locations = resolveLocations(env);
  const start = loadStartingConfig(env);
  const accessNotes = applyCacheAccess(start.loaded.config.cache_access, [
    locations.stateDir,
    start.loaded.config.cache_dir,
  ]);
  const log = new Logger(options.logLevel ?? start.loaded.config.log_level, {
    ...(options.foreground ? {} : { file: locations.serverLogPath }),
    errorLog: locations.errorLogPath,
  });
  if (start.problem) log.error(`${start.problem} Using the defaults until it is fixed.`);
  for (const note of accessNotes) log.info(note);

  const cacheDir = start.loaded.config.cache_dir;
  await makeDirectory(join(cacheDir, 'tmp'));
  // Nothing the server does may depend on the TMPDIR of whichever shell started it.
  process.env.TMPDIR = join(cacheDir, 'tmp');
  process.chdir(locations.stateDir);

  const hashWorkers = options.hashWorkerScript
    ? useHashWorkers(options.hashWorkerScript, Math.min(4, availableParallelism()))
    : undefined;
  const memo = new DigestMemo();
  const digestsPath = join(cacheDir, 'digests.json');
  await memo.load(digestsPath);
  const store = new DiskStore(cacheDir, memo);
  await store.init();
  await removeStaleStaging(store.tmpDir);
  const manifests = new ManifestStore(join(cacheDir, 'manifests'), memo);
  const stats = new StatsStore(join(cacheDir, 'stats.json'));
  const tiers = new TieredStore({
    local: store,
    manifests,
    remotes: [],
    compressionLevel: start.loaded.config.compression_level,
    count: (change) => stats.update(change),
    log,
  });
  // Remote caches are set up in the background: nothing about them may delay or stop the server.
  const remotes = new RemoteSet({
    env,
    home: env.HOME || homedir(),
    counters: (label) => stats.remoteCounters(label),
    log,
    closeDropped: false,
  });
  const applyRemotes = (list: typeof start.loaded.config.remotes): Promise<void> =>
    remotes
      .apply(list)
      .then(() =>
        tiers.configure({ remotes: remotes.levels.map((storage) => ({ storage, readOnly: storage.readOnly })) }),
      );
  void applyRemotes(start.loaded.config.remotes);
  const toolchains = new Toolchains(execaRunner, memo, join(cacheDir, 'toolchains.json'));
  const startedAt = Date.now();

  let evicting = false;
  const evictIfNeeded = (): void => {
    const limit = settings.config.cache_size;
    if (evicting || store.sizeBytes <= limit) return;
    evicting = true;
    setImmediate(() => {
      store
        .evict(Math.floor(limit * 0.9))
        .then(({ removed, freedBytes }) =>
          log.info(`evicted ${removed} entries (${freedBytes} bytes) to stay under ${limit} bytes`),
        )
        .catch((error: Error) => log.error(`eviction failed: ${error.message}`))
        .finally(() => {
          evicting = false;
        });
    });
  };
  const onConfigApplied = (): void => {
    void applyRemotes(settings.config.remotes);
    tiers.configure({ compressionLevel: settings.config.compression_level });
    evictIfNeeded();
  };
  const settings = new ConfigInForce({
    start,
    load: () => loadConfig(env),
    log,
    ...(options.logLevel ? { logLevel: options.logLevel } : {}),
    onApplied: onConfigApplied,
  });
  const configWatcher = watchConfigFile(settings.loaded.file, () => settings.reload());

  const snapshot = (): StatsSnapshot => ({
    counters: stats.counters,
    worktrees: stats.worktrees,
    knownWorktrees: stats.knownWorktrees,
    since: stats.since,
    cache: {
      dir: cacheDir,
      sizeBytes: store.sizeBytes,
      limitBytes: settings.config.cache_size,
      entries: store.entryCount,
      uploadQueue: tiers.uploadQueueLength,
    },
    server: serverPart(startedAt, Date.now()),
    remotes: remotes.status(),
  });
  // The dashboard's subscriptions and the stream of latest compiles.
  const feed = new LiveFeed({
    snapshot,
    config: () => ({ file: settings.loaded.file, ...(settings.problem ? { problem: settings.problem } : {}) }),
    historyPath: join(cacheDir, 'hit-history.json'),
  });

  // Every cacheable compile's inputs, so that `hoard why` can say what made a miss (src/why/).
  const explainer = new MissExplainer({
    combinations: (direct) => manifests.entries(direct),
    memo,
    count: (worktree, change) => stats.updateFor(worktree, change),
    path: join(cacheDir, 'why-history.json'),
  });
  const onCompile = (report: CompileReport): void => {
    explainer.noteActivity();
    feed.record(report);
  };
  const flow = new CompileFlow({
    store: tiers,
    memo,
    stats,
    singleFlight: new SingleFlight(),
    log,
    afterStore: evictIfNeeded,
    onCompile,
    observer: explainer,
  });
  const ccCompilers = new CcCompilers(execaRunner, memo);
  const compile = compileRequestHandler({
    flow,
    stats,
    worktrees: new WorktreeLocator(),
    basedirs: () => settings.config.basedirs,
    log,
    onCompile,
    rust: new RustHandler({
      memo,
      toolchains,
      linkers: new Linkers(execaRunner, memo),
      linkedCrates: () => settings.config.linked_crates,
      log,
    }),
    cc: new CcHandler({ memo, log, tmpDir: store.tmpDir, runner: execaRunner, shapes: preprocessedShapes(manifests) }),
    identifyCc: (compiler, cwd, compilerEnv) => ccCompilers.identify(compiler, cwd, compilerEnv),
  });

  let socketInode: bigint | undefined;
  const netServer = createServer((socket) => connections.accept(socket));
  const lanes = new LanePool({
    dir: locations.lanesDir,
    size: READY_LANES,
    makeFifos: mkfifoWith(execaRunner),
    onConversation: (channel) => connections.accept(channel),
    log,
  });
  // bin/hoard's fast path: lanes of its own, answered in the shell's lines (src/server/sh-lane.ts).
  const fastPath: FastPathCounts = { served: 0, declined: {} };
  let watchdog: ShWatchdog | undefined;
  const wrapperParts = options.wrapperParts;
  const shLanesDir = join(locations.lanesDir, SH_LANES_DIR);
  const shLanes = new LanePool({
    dir: shLanesDir,
    size: READY_LANES,
    claim: 'claim-file',
    makeFifos: mkfifoWith(execaRunner),
    onConversation: (conversation, id) => {
      // A conversation once the shell speaks: a lane that waits is none.
      let ended: (() => void) | undefined;
      conversation.on('data', () => {
        lifecycle.touch();
        ended ??= lifecycle.conversationStarted();
      });
      // The watchdog's mark (sh-watchdog-process.ts) counts until the answer is done and the shell has
      // let go: a shell that went on may close its lane before the resumed server gets to the answer.
      const toldMark = join(shLanesDir, TOLD_DIR, id);
      let unfinished = 2;
      const over = (): void => {
        unfinished -= 1;
        if (unfinished === 0) rmSync(toldMark, { force: true });
      };
      conversation.on('close', over);
      void serveShConversation(conversation, {
        answerCompile: compile,
        tmpDir: store.tmpDir,
        log,
        counts: fastPath,
        wrapper: wrapperParts!,
        told: () => existsSync(toldMark),
      }).finally(() => {
        ended?.();
        over();
      });
    },
    log,
  });
  const lifecycle = new Lifecycle({
    log,
    stopTaking: async (why) => {
      feed.stopping(why);
      if (socketInode !== undefined) await releaseSocketPath(locations.socketPath, socketInode);
      await lanes.close();
      await shLanes.close();
      netServer.close();
    },
    finish: async () => {
      // Uploads still queued go out before the server exits (bounded: a slow remote does not hold it).
      await tiers.close(UPLOAD_DRAIN_LIMIT_MS);
      await remotes.close();
      await stats.flush();
      await explainer.save();
      await feed.close();
      await memo.save(digestsPath).catch((error: Error) => log.warn(`could not save known digests: ${error.message}`));
      await configWatcher.close();
      await hashWorkers?.close();
      watchdog?.close();
      connections.destroyAll();
    },
    ownsSocket: () => ownsSocketPath(locations.socketPath, socketInode!),
    sweep: async () => {
      await lanes.sweep();
      await shLanes.sweep();
    },
    idleTimeoutSeconds: () => settings.config.idle_timeout,
  });
  const handlers: RequestHandlers = {
    compile,
    ...dataRequestHandlers({
      snapshot,
      zero: () => {
        stats.zero();
        feed.zeroed();
      },
      config: settings,
      socketPath: locations.socketPath,
      lanes: () => lanes.status(),
      fastPath: () => ({ ...shLanes.status(), served: fastPath.served, declined: fastPath.declined }),
      startedAt,
      stop: (why) => void lifecycle.drain(why),
    }),
    'why-history': () => explainer.history.toJSON(),
  };
  const connections = new Connections({
    dispatch: (message, exchange) => dispatchRequest(handlers, message, exchange),
    subscribe: (socket) => feed.subscribe(socket),
    onVersionMismatch: (clientVersion) =>
      void lifecycle.drain(`a client speaks protocol version ${clientVersion}, this server ${PROTOCOL_VERSION}`),
    onActivity: () => lifecycle.touch(),
    onConversation: () => lifecycle.conversationStarted(),
    log,
  });

  const taken = await takeSocketPath(netServer, locations.socketPath);
  if (!taken.taken) {
    log.info('another server already answers on the socket; leaving it be');
    // Nothing else may keep this process alive: it exits instead of idling beside the server that runs.
    await configWatcher.close();
    return 0;
  }
  socketInode = taken.inode;
  await rm(locations.startFailedPath, { force: true });
  await lanes.start();
  if (wrapperParts) {
    // Before any lane is offered: no shell waits on this server without a watchdog.
    if (options.shWatchdogScript)
      watchdog = startShWatchdog(options.shWatchdogScript, join(locations.lanesDir, SH_LANES_DIR), SH_STALL_MS, log);
    await shLanes.start();
  }
  log.info(
    `listening on ${locations.socketPath} (version ${HOARD_VERSION}, protocol ${PROTOCOL_VERSION}, cache ${cacheDir})`,
  );

  const housekeeping = setInterval(() => void lifecycle.housekeeping(), HOUSEKEEPING_INTERVAL_MS);
  lifecycle.drainOnSignals();

  const code = await lifecycle.finished;
  clearInterval(housekeeping);
  return code;
}
