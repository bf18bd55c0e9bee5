import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { createServer, Socket } from 'node:net';
import { basename, join } from 'node:path';
import { DiskStore } from '../cache/disk-store.js';
import { ManifestStore } from '../cache/manifest-store.js';
import { Toolchains } from '../compiler/rustc/toolchain.js';
import { Linkers } from '../compiler/rustc/linker.js';
import { ConfigError, loadConfig, type LoadedConfig, defaultConfig } from '../config/load.js';
import type { LogLevel } from '../config/schema.js';
import { execaRunner } from '../exec/process-runner.js';
import { DigestMemo } from '../hash/digest-memo.js';
import { useHashWorkers } from '../hash/blake3.js';
import { availableParallelism } from 'node:os';
import { watchConfigFile } from '../config/watch.js';
import { attachDecoder, encodeFrame } from '../protocol/framing.js';
import { resolveLocations } from '../protocol/locations.js';
import { PROTOCOL_VERSION, type ClientMessage, type ServerMessage } from '../protocol/messages.js';
import type { StatsSnapshot } from '../stats/snapshot.js';
import { HOARD_VERSION } from '../version.js';
import type { Exchange } from './exchange.js';
import { ownsSocketPath, releaseSocketPath, takeSocketPath } from './listener.js';
import { LanePool, mkfifoWith } from './lane-pool.js';
import type { Conversation } from './conversation.js';
import { Logger } from './logger.js';
import { compileRequestSchema, describeInvalid, envelopeSchema, restoredReportSchema, restoreFailedReportSchema, storeRequestSchema } from './messages.js';
import { LiveFeed, type CompileReport } from './live-feed.js';
import { RustHandler } from './rust-handler.js';
import { CompileFlow } from './compile-flow.js';
import { CcHandler } from './cc-handler.js';
import { CcCompilers } from '../compiler/cc/compiler-identity.js';
import { SingleFlight } from './single-flight.js';
import { WorktreeLocator } from '../worktree/locate.js';
import { StatsStore } from './stats-store.js';

export interface ServerOptions {
  foreground: boolean;
  logLevel?: LogLevel;
  /** dist/hash-worker.mjs, where the build has it: large files are then hashed in threads. */
  hashWorkerScript?: URL;
}

const HOUSEKEEPING_INTERVAL_MS = 2000;
/**
 * Lanes kept ready: more than the compiles a busy build has waiting at once, at two descriptors each;
 * refilled in batches of half this, so each `mkfifo` run (~10 ms of the server's CPU) serves 32 compiles.
 */
const READY_LANES = 64;
/** A draining server gives its open conversations this long before it exits anyway. */
const DRAIN_LIMIT_MS = 5 * 60_000;
/** What may follow a compile request on its conversation; a malformed one counts as none. */
const followUpSchemas = { store: storeRequestSchema, restored: restoredReportSchema, 'restore-failed': restoreFailedReportSchema };
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
  let loaded: LoadedConfig;
  let configProblem: string | undefined;
  try {
    loaded = loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    configProblem = error.message;
    loaded = defaultConfig(env);
  }
  let config = loaded.config;
  const log = new Logger(options.logLevel ?? config.log_level, {
    ...(options.foreground ? {} : { file: locations.serverLogPath }),
    errorLog: locations.errorLogPath,
  });
  if (configProblem) log.error(`${configProblem} Using the defaults until it is fixed.`);

  const cacheDir = config.cache_dir;
  await mkdir(join(cacheDir, 'tmp'), { recursive: true });
  // Nothing the server does may depend on the TMPDIR of whichever shell started it.
  process.env.TMPDIR = join(cacheDir, 'tmp');
  process.chdir(locations.stateDir);

  const hashWorkers = options.hashWorkerScript ? useHashWorkers(options.hashWorkerScript, Math.min(4, availableParallelism())) : undefined;
  const memo = new DigestMemo();
  const digestsPath = join(cacheDir, 'digests.json');
  await memo.load(digestsPath);
  const store = new DiskStore(cacheDir, memo);
  await store.init();
  await removeStaleStaging(store.tmpDir);
  const manifests = new ManifestStore(join(cacheDir, 'manifests'), memo);
  const stats = new StatsStore(join(cacheDir, 'stats.json'));
  const toolchains = new Toolchains(execaRunner, memo, join(cacheDir, 'toolchains.json'));
  const startedAt = Date.now();

  let evicting = false;
  const evictIfNeeded = (): void => {
    if (evicting || store.sizeBytes <= config.cache_size) return;
    evicting = true;
    setImmediate(() => {
      store
        .evict(Math.floor(config.cache_size * 0.9))
        .then(({ removed, freedBytes }) => log.info(`evicted ${removed} entries (${freedBytes} bytes) to stay under ${config.cache_size} bytes`))
        .catch((error: Error) => log.error(`eviction failed: ${error.message}`))
        .finally(() => {
          evicting = false;
        });
    });
  };

  // Edits to the config file apply within about a second; a broken edit is reported and the last good
  // configuration stays in force. The cache directory is the one thing that needs a new server.
  const reloadConfig = (): void => {
    try {
      const next = loadConfig(env);
      if (next.config.cache_dir !== cacheDir) {
        log.warn(`cache_dir is now ${next.config.cache_dir}: it applies to the next server ('hoard server stop'; the next compile starts one)`);
      }
      loaded = next;
      config = { ...next.config, cache_dir: cacheDir };
      configProblem = undefined;
      log.level = options.logLevel ?? config.log_level;
      log.info(`configuration reloaded from ${next.file}: cache_size ${config.cache_size}, idle_timeout ${config.idle_timeout} s, log_level ${config.log_level}, basedirs [${config.basedirs.join(', ')}]`);
      evictIfNeeded();
    } catch (error) {
      configProblem = (error as Error).message;
      log.error(`${configProblem} The configuration in force is unchanged.`);
    }
  };
  const configWatcher = watchConfigFile(loaded.file, reloadConfig);

  const snapshot = (): StatsSnapshot => ({
    counters: stats.counters,
    worktrees: stats.worktrees,
    since: stats.since,
    cache: { dir: cacheDir, sizeBytes: store.sizeBytes, limitBytes: config.cache_size, entries: store.entryCount },
    server: { running: true, pid: process.pid, version: HOARD_VERSION, uptimeMs: Date.now() - startedAt },
  });
  // The dashboard's subscriptions and the stream of latest compiles.
  const feed = new LiveFeed({ snapshot, config: () => ({ file: loaded.file, ...(configProblem ? { problem: configProblem } : {}) }), historyPath: join(cacheDir, 'hit-history.json') });

  const onCompile = (report: CompileReport): void => feed.record(report);
  const flow = new CompileFlow({ store, manifests, memo, stats, singleFlight: new SingleFlight(), log, afterStore: evictIfNeeded, onCompile });
  const worktrees = new WorktreeLocator();
  const ccCompilers = new CcCompilers(execaRunner, memo);
  const cc = new CcHandler({ flow, memo, stats, worktrees, basedirs: () => config.basedirs, log, tmpDir: store.tmpDir, runner: execaRunner, onCompile });
  const rust = new RustHandler({ flow, memo, toolchains, linkers: new Linkers(execaRunner, memo), stats, worktrees, basedirs: () => config.basedirs, linkedCrates: () => config.linked_crates, log, onCompile });

  let active = 0;
  let lastActivity = Date.now();
  let draining = false;
  let socketInode: bigint | undefined;
  const sockets = new Set<Conversation>();
  const netServer = createServer((socket) => handleConnection(socket));
  const lanes = new LanePool({
    dir: locations.lanesDir,
    size: READY_LANES,
    makeFifos: mkfifoWith(execaRunner),
    onConversation: (channel) => handleConnection(channel),
    log,
  });

  let resolveExit!: (code: number) => void;
  const finished = new Promise<number>((resolve) => {
    resolveExit = resolve;
  });
  /** Stops taking connections, lets the open conversations finish (bounded), saves, and exits. */
  const beginDrain = async (why: string): Promise<void> => {
    if (draining) return;
    draining = true;
    log.info(`stopping: ${why}`);
    feed.stopping(why);
    if (socketInode !== undefined) await releaseSocketPath(locations.socketPath, socketInode);
    await lanes.close();
    netServer.close();
    const deadline = Date.now() + DRAIN_LIMIT_MS;
    while (active > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    await stats.flush();
    await feed.close();
    await memo.save(digestsPath).catch((error: Error) => log.warn(`could not save known digests: ${error.message}`));
    await configWatcher.close();
    await hashWorkers?.close();
    for (const socket of sockets) socket.destroy();
    resolveExit(0);
  };

  /** One conversation, over the socket or a lane (src/server/lane-pool.ts). */
  function handleConnection(socket: Conversation): void {
    sockets.add(socket);
    const queue: ClientMessage[] = [];
    let waiter: ((message: ClientMessage | undefined) => void) | undefined;
    let closed = false;
    let started = false;
    let subscribed = false;
    const send = (message: ServerMessage): void => {
      if (!socket.destroyed) socket.write(encodeFrame(message));
    };
    const exchange: Exchange = {
      reply: send,
      next: (timeoutMs) => {
        const queued = queue.shift();
        if (queued) return Promise.resolve(queued);
        if (closed) return Promise.resolve(undefined);
        return new Promise((resolve) => {
          const timer = setTimeout(() => {
            waiter = undefined;
            resolve(undefined);
          }, timeoutMs);
          waiter = (message) => {
            clearTimeout(timer);
            waiter = undefined;
            resolve(message);
          };
        });
      },
    };
    const deliver = (message: ClientMessage | undefined): void => {
      if (waiter) waiter(message);
      else if (message) queue.push(message);
    };
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      sockets.delete(socket);
      deliver(undefined);
    });
    attachDecoder(
      socket,
      (raw) => {
        if (subscribed) return;
        lastActivity = Date.now();
        const envelope = envelopeSchema.safeParse(raw);
        if (!envelope.success) {
          send({ type: 'error', message: `not a hoard message (${describeInvalid(envelope.error)})` });
          socket.end();
          return;
        }
        if (envelope.data.v !== PROTOCOL_VERSION) {
          send({ type: 'version-mismatch', serverVersion: PROTOCOL_VERSION });
          socket.end();
          void beginDrain(`a client speaks protocol version ${envelope.data.v}, this server ${PROTOCOL_VERSION}`);
          return;
        }
        if (started) {
          deliver(raw as ClientMessage);
          return;
        }
        started = true;
        // A subscriber stays connected for as long as the dashboard is open: not an open conversation.
        if ((raw as ClientMessage).type === 'subscribe') {
          if (!(socket instanceof Socket)) {
            send({ type: 'error', message: 'subscribe over the socket' });
            socket.end();
            return;
          }
          subscribed = true;
          feed.subscribe(socket);
          return;
        }
        active += 1;
        void handleFirst(raw as ClientMessage, exchange, send)
          .catch((error: Error) => {
            log.error(`request failed: ${error.stack ?? error.message}`);
            send({ type: 'error', message: error.message });
          })
          .finally(() => {
            active -= 1;
            lastActivity = Date.now();
          });
      },
      (error) => {
        send({ type: 'error', message: `unreadable message: ${error.message}` });
        socket.destroy();
      },
    );
  }

  async function handleFirst(message: ClientMessage, exchange: Exchange, send: (message: ServerMessage) => void): Promise<void> {
    switch (message.type) {
      case 'compile': {
        const parsed = compileRequestSchema.safeParse(message);
        if (!parsed.success) {
          send({ type: 'error', message: `invalid compile request: ${describeInvalid(parsed.error)}` });
          return;
        }
        const checked: Exchange = {
          reply: exchange.reply,
          next: async (timeoutMs) => {
            const next = await exchange.next(timeoutMs);
            const schema = next && Object.hasOwn(followUpSchemas, next.type) ? followUpSchemas[next.type as keyof typeof followUpSchemas] : undefined;
            if (schema && !schema.safeParse(next).success) return undefined;
            return next;
          },
        };
        // rustc by its name; any other compiler is asked what it is (once per binary): gcc and clang are C/C++.
        const { argv, cwd, env } = parsed.data;
        const ccIdentity = /rustc|clippy-driver/.test(basename(argv[0]!)) ? undefined : await ccCompilers.identify(argv[0]!, cwd, env).catch(() => undefined);
        if (ccIdentity) await cc.handle(parsed.data, checked, ccIdentity);
        else await rust.handle(parsed.data, checked);
        return;
      }
      case 'stats':
        send({ type: 'data', data: snapshot() });
        return;
      case 'zero-stats':
        stats.zero();
        feed.zeroed();
        send({ type: 'data', data: snapshot() });
        return;
      case 'status':
        send({
          type: 'data',
          // The values in force and where they came from, so `hoard doctor` can compare them with its shell's.
          data: { ...snapshot().server, protocol: PROTOCOL_VERSION, socket: locations.socketPath, lanes: lanes.status(), configFile: loaded.file, configProblem, config, configSources: loaded.sources },
        });
        return;
      case 'shutdown':
        send({ type: 'data', data: { stopping: true } });
        void beginDrain('asked to stop');
        return;
      default:
        send({ type: 'error', message: `unknown request type '${(message as { type: string }).type}'` });
    }
  }

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
  log.info(`listening on ${locations.socketPath} (version ${HOARD_VERSION}, protocol ${PROTOCOL_VERSION}, cache ${cacheDir})`);

  const housekeeping = setInterval(() => {
    void (async () => {
      if (draining) return;
      if (!(await ownsSocketPath(locations.socketPath, socketInode!))) {
        await beginDrain('the socket path now belongs to another server');
        return;
      }
      await lanes.sweep();
      const idleMs = config.idle_timeout * 1000;
      if (idleMs > 0 && active === 0 && Date.now() - lastActivity > idleMs) await beginDrain(`idle for ${config.idle_timeout} s`);
    })();
  }, HOUSEKEEPING_INTERVAL_MS);
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => void beginDrain(`received ${signal}`));

  const code = await finished;
  clearInterval(housekeeping);
  return code;
}
