import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { maskUrl, remoteLabel, type RemoteConfig } from '../config/remotes.js';
import type { CacheStorage } from '../cache/storage.js';
import { StorageError } from '../cache/storage.js';
import type { RemoteStatus } from '../stats/remote-counters.js';
import type { Check } from './doctor-checks.js';

/** What one remote did when `hoard doctor` tried it, as it is configured (read-only: read only). */
export interface RemoteProbe {
  remote: RemoteConfig;
  /** The step that failed, and how. */
  failure?: { step: 'read' | 'write' | 'read back' | 'remove'; kind: StorageError['kind']; message: string };
  /** Written and read back bytes differed. */
  mismatch?: boolean;
  elapsedMs: number;
}

async function bounded<T>(timeoutMs: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new StorageError('timeout', `no answer within ${timeoutMs} ms (timeout = ${timeoutMs / 1000} s)`));
    }, timeoutMs);
  });
  const attempt = call(controller.signal);
  attempt.catch(() => undefined);
  try {
    return await Promise.race([attempt, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads a key nobody wrote; for a writable remote also writes, reads back and removes one. */
export async function probeRemote(remote: RemoteConfig, storage: CacheStorage): Promise<RemoteProbe> {
  const started = Date.now();
  const timeoutMs = remote.timeout * 1000;
  const key = `doctor/${hostname()
    .replace(/[^0-9a-z_-]/gi, '-')
    .toLowerCase()}-${randomBytes(6).toString('hex')}`;
  let step: NonNullable<RemoteProbe['failure']>['step'] = 'read';
  const probe: RemoteProbe = { remote, elapsedMs: 0 };
  try {
    await bounded(timeoutMs, (signal) => storage.get(`${key}-absent`, signal));
    if (!remote.read_only) {
      const value = new Uint8Array(randomBytes(64));
      step = 'write';
      await bounded(Math.max(timeoutMs, remote.upload_timeout * 1000), (signal) =>
        storage.put(key, value, { overwrite: true }, signal),
      );
      step = 'read back';
      const back = await bounded(timeoutMs, (signal) => storage.get(key, signal));
      if (!back || Buffer.compare(Buffer.from(back), Buffer.from(value)) !== 0) probe.mismatch = true;
      step = 'remove';
      await bounded(timeoutMs, (signal) => storage.remove(key, signal));
    }
  } catch (error) {
    const failure = error instanceof StorageError ? error : new StorageError('error', (error as Error).message);
    probe.failure = { step, kind: failure.kind, message: failure.message };
  } finally {
    probe.elapsedMs = Date.now() - started;
    await storage.close().catch(() => undefined);
  }
  return probe;
}

const WHAT_TO_DO: Record<StorageError['kind'], string> = {
  error: 'check the URL (or endpoint) and that the server runs and is reachable from here',
  timeout: 'check that the server is reachable from here; if it is only slow, raise timeout for this remote',
  auth: 'check its credentials (password_file, username; for HTTP token_file; for S3 credentials_file, profile or AWS_* variables) and what they may do',
};

/** "GET from team-redis: connection refused" → "connection refused": the line names the remote already. */
function withoutLabel(message: string, label: string): string {
  const at = message.indexOf(`${label}: `);
  return at === -1 ? message : message.slice(at + label.length + 2);
}

/** One line per configured remote, with how the running server sees it where it has it. */
export function remoteChecks(probes: readonly RemoteProbe[], serverView: readonly RemoteStatus[] = []): Check[] {
  return probes.map((probe) => {
    const label = remoteLabel(probe.remote);
    const id = 'remote';
    const mode = probe.remote.read_only ? 'read-only' : 'read and write';
    const server = serverView.find((status) => status.label === label);
    const serverNote =
      server?.state === 'failing' && server.failingSince
        ? ` The running server has had it failing since ${server.failingSince}${server.lastFailure ? ` (${server.lastFailure.kind}: ${server.lastFailure.message})` : ''}; it tries again by itself.`
        : '';
    if (probe.failure) {
      const { step, kind, message } = probe.failure;
      const what =
        kind === 'auth' ? 'refused the credentials' : kind === 'timeout' ? 'did not answer in time' : 'failed';
      return {
        id,
        status: 'fail',
        message: `${label} (${mode}) ${what} at ${step}: ${withoutLabel(message, label)}. Builds go on without it; ${WHAT_TO_DO[kind]}.${serverNote}`,
      };
    }
    if (probe.mismatch) {
      return {
        id,
        status: 'fail',
        message: `${label}: what was written came back different: something between hoard and the server changes values; hoard treats what it reads from there as misses.`,
      };
    }
    const did = probe.remote.read_only
      ? 'reachable, reads work (read-only: writes not tried)'
      : 'reachable, credentials accepted, write, read back and remove work';
    return {
      id,
      status: server?.state === 'failing' ? 'warn' : 'ok',
      message: `${label}: ${did} (${probe.elapsedMs} ms).${serverNote}`,
    };
  });
}

/** sccache's variables for its remote caches, and what hoard would need instead. */
export function sccacheChecks(env: Record<string, string | undefined>, remotes: readonly RemoteConfig[]): Check[] {
  const set = Object.keys(env)
    .filter(
      (name) =>
        /^SCCACHE_(BUCKET|REGION|ENDPOINT|S3_|REDIS|GCS_|AZURE_|MEMCACHED|WEBDAV|GHA_|MULTILEVEL)/.test(name) &&
        env[name],
    )
    .sort();
  if (set.length === 0) return [];
  const suggestions: string[] = [];
  if (env.SCCACHE_BUCKET) {
    const prefix = env.SCCACHE_S3_KEY_PREFIX ? `${env.SCCACHE_S3_KEY_PREFIX.replace(/\/+$/, '')}-hoard` : 'hoard';
    const query = new URLSearchParams();
    if (env.SCCACHE_REGION) query.set('region', env.SCCACHE_REGION);
    if (env.SCCACHE_ENDPOINT) {
      const secure = env.SCCACHE_S3_USE_SSL?.toLowerCase() !== 'false' && env.SCCACHE_S3_USE_SSL !== '0';
      query.set(
        'endpoint',
        /^https?:\/\//.test(env.SCCACHE_ENDPOINT)
          ? env.SCCACHE_ENDPOINT
          : `${secure ? 'https' : 'http'}://${env.SCCACHE_ENDPOINT}`,
      );
    }
    if (env.SCCACHE_S3_NO_CREDENTIALS === 'true' || env.SCCACHE_S3_NO_CREDENTIALS === '1')
      query.set('anonymous', 'true');
    if (env.SCCACHE_S3_RW_MODE === 'READ_ONLY' || query.has('anonymous')) query.set('read_only', 'true');
    const text = query.toString().replace(/%3A/gi, ':').replace(/%2F/gi, '/');
    suggestions.push(`s3://${env.SCCACHE_BUCKET}/${prefix}${text ? `?${text}` : ''}`);
  }
  const redisUrl =
    env.SCCACHE_REDIS_ENDPOINT ?? env.SCCACHE_REDIS ?? env.SCCACHE_REDIS_CLUSTER_ENDPOINTS?.split(',')[0];
  if (redisUrl) {
    const url = /^rediss?:\/\//.test(redisUrl) ? redisUrl : `redis://${redisUrl}`;
    const query = new URLSearchParams();
    if (env.SCCACHE_REDIS_CLUSTER_ENDPOINTS) query.set('cluster', 'true');
    if (env.SCCACHE_REDIS_USERNAME) query.set('username', env.SCCACHE_REDIS_USERNAME);
    const ttl = env.SCCACHE_REDIS_EXPIRATION ?? env.SCCACHE_REDIS_TTL;
    if (ttl && ttl !== '0') query.set('expiry', `${ttl}s`);
    if (env.SCCACHE_REDIS_RW_MODE === 'READ_ONLY') query.set('read_only', 'true');
    query.set('prefix', `${env.SCCACHE_REDIS_KEY_PREFIX ?? ''}hoard`);
    const database = env.SCCACHE_REDIS_DB && env.SCCACHE_REDIS_DB !== '0' ? `/${env.SCCACHE_REDIS_DB}` : '';
    suggestions.push(`${maskUrl(url).replace(/\/$/, '')}${database}?${query.toString()}`);
  }
  if (env.SCCACHE_WEBDAV_ENDPOINT && /^https?:\/\//.test(env.SCCACHE_WEBDAV_ENDPOINT)) {
    const query = new URLSearchParams();
    if (env.SCCACHE_WEBDAV_USERNAME) query.set('username', env.SCCACHE_WEBDAV_USERNAME);
    if (env.SCCACHE_WEBDAV_RW_MODE === 'READ_ONLY') query.set('read_only', 'true');
    const prefix = env.SCCACHE_WEBDAV_KEY_PREFIX?.replace(/^\/+|\/+$/g, '');
    query.set('prefix', prefix ? `${prefix}/hoard` : 'hoard');
    const text = query.toString().replace(/%2F/gi, '/');
    suggestions.push(`${maskUrl(env.SCCACHE_WEBDAV_ENDPOINT).replace(/\/+$/, '')}?${text}`);
  }
  const configured = suggestions.filter((suggestion) =>
    remotes.some((remote) => suggestion.startsWith(`${maskUrl(remote.url)}`)),
  );
  const secretsFor = [
    env.SCCACHE_REDIS_PASSWORD ? 'the Redis password in a file named by password_file' : '',
    env.SCCACHE_WEBDAV_PASSWORD ? 'the WebDAV password in a file named by password_file' : '',
    env.SCCACHE_WEBDAV_TOKEN ? 'the WebDAV token in a file named by token_file' : '',
  ].filter(Boolean);
  const password =
    secretsFor.length > 0 ? ` Put ${secretsFor.join(', and ')}, readable only by you, not in the URL.` : '';
  const message =
    suggestions.length === 0
      ? `${set.join(', ')} set: sccache's remote settings, which hoard does not read; its remotes are [[remotes]] in config.toml or HOARD_REMOTES (docs/remote.md).`
      : configured.length === suggestions.length
        ? `${set.join(', ')} set for sccache; hoard already has the same remote${suggestions.length > 1 ? 's' : ''} configured.`
        : `${set.join(', ')} set: sccache's remote settings, which hoard does not read. The same remote${suggestions.length > 1 ? 's' : ''} for hoard (its entries under their own prefix): export HOARD_REMOTES='${suggestions.join(' ')}', or a [[remotes]] table per URL in config.toml (docs/remote.md).${password}`;
  return [{ id: 'sccache', status: 'info', message }];
}

/** Opens and tries each configured remote from this shell (the clients load only here). */
export async function probeRemotes(
  remotes: readonly RemoteConfig[],
  env: Record<string, string | undefined>,
  home: string,
): Promise<RemoteProbe[]> {
  if (remotes.length === 0) return [];
  const { openBackend } = await import('../cache/remote/open-remote.js');
  return Promise.all(remotes.map(async (remote) => probeRemote(remote, await openBackend(remote, { env, home }))));
}
