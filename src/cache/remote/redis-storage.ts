import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { StorageError, type CacheStorage, type PutOptions, type ReadProgress } from '../storage.js';
import { classifyNetworkError } from './network-errors.js';

export interface RedisStorageOptions {
  label: string;
  /** redis://[user[:password]@]host[:port][/db] or rediss://… (TLS). */
  url: string;
  username?: string | undefined;
  /** From password_file; beats a password in the URL. */
  password?: string | undefined;
  /** Put before every key, joined with ":"; empty for none. */
  prefix: string;
  /** Seconds a value lives after it was last written or read; 0 for no expiry. */
  expirySeconds: number;
  /** The URL's host is one node of a Redis Cluster; the client finds the others. */
  cluster: boolean;
  connectTimeoutMs: number;
  /** The client's own bound on any command: the longest an upload may take. */
  commandTimeoutMs: number;
}

/** Replies that mean the credentials, or what they are allowed, are the problem. */
const AUTH_REPLY = /^(NOAUTH|WRONGPASS|NOPERM)\b|invalid password|invalid username-password/i;

/**
 * A Redis server or Redis Cluster through ioredis: one string value per key (`<prefix>:<key>`).
 * Connects on first use, reconnects in the background, and never queues a command for a connection
 * that is down longer than the call's own bound (maxRetriesPerRequest 0).
 */
export class RedisStorage implements CacheStorage {
  readonly label: string;
  private readonly client: Redis | Cluster;
  /** The last error the connection reported (a refused AUTH arrives here, not with a command). */
  private connectionError: Error | undefined;

  /** Loads ioredis only when a server has a Redis remote. */
  static async open(options: RedisStorageOptions): Promise<RedisStorage> {
    const { Cluster, Redis } = await import('ioredis');
    return new RedisStorage(options, { Cluster, Redis });
  }

  private constructor(
    private readonly options: RedisStorageOptions,
    ioredis: { Cluster: typeof Cluster; Redis: typeof Redis },
  ) {
    const { Cluster, Redis } = ioredis;
    this.label = options.label;
    const url = new URL(options.url);
    const tls = url.protocol === 'rediss:';
    const username = options.username ?? (url.username ? decodeURIComponent(url.username) : undefined);
    const password = options.password ?? (url.password ? decodeURIComponent(url.password) : undefined);
    const database = Number(url.pathname.replace(/^\//, '') || '0');
    const common: RedisOptions = {
      ...(username ? { username } : {}),
      ...(password ? { password } : {}),
      ...(tls ? { tls: { servername: url.hostname } } : {}),
      connectTimeout: options.connectTimeoutMs,
      commandTimeout: options.commandTimeoutMs,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: true,
      lazyConnect: true,
      // Reconnect in the background, slower and slower; the tier above decides when to ask again.
      retryStrategy: (times: number) => Math.min(times * 500, 10_000),
      reconnectOnError: () => false,
    };
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(url.port || '6379');
    this.client = options.cluster
      ? new Cluster([{ host, port }], {
          redisOptions: common,
          lazyConnect: true,
          enableOfflineQueue: true,
          clusterRetryStrategy: (times: number) => Math.min(times * 500, 10_000),
          slotsRefreshTimeout: options.connectTimeoutMs * 2,
        })
      : new Redis({ ...common, host, port, db: database });
    // Each call listens for the connection's errors until it settles: as many at once as compiles ask.
    this.client.setMaxListeners(0);
    this.client.on('error', (error: Error) => {
      this.connectionError = error;
    });
    this.client.on('ready', () => {
      this.connectionError = undefined;
    });
  }

  /**
   * Runs a command, failing at once when the connection's login is refused: ioredis reports a refused
   * AUTH on the connection, not on the commands waiting for it, which would otherwise wait until cut off.
   */
  private async call<T>(command: () => Promise<T>): Promise<T> {
    if (this.connectionError && AUTH_REPLY.test(this.connectionError.message) && this.client.status !== 'ready')
      throw this.connectionError;
    await this.ready();
    let listener: ((error: Error) => void) | undefined;
    const refused = new Promise<never>((_resolve, reject) => {
      listener = (error: Error) => {
        if (AUTH_REPLY.test(error.message)) reject(error);
      };
      this.client.on('error', listener);
    });
    try {
      const pending = command();
      pending.catch(() => undefined);
      return await Promise.race([pending, refused]);
    } finally {
      this.client.off('error', listener!);
    }
  }

  /**
   * Waits for the connection to be ready, within connect_timeout. A server that accepts connections
   * and never answers (a hung process, a proxy with nothing behind it) is known by its silence to the
   * connection's first command, ioredis's ready check: found within connect_timeout, not after a
   * lookup's whole `timeout`, which every compile asking it first would wait. An error meanwhile (a
   * refused connection or login) is thrown at once.
   */
  private ready(): Promise<void> {
    if (this.client.status === 'ready') return Promise.resolve();
    if (this.client.status === 'wait') this.client.connect().catch(() => undefined);
    const waitMs = this.options.connectTimeoutMs;
    return new Promise<void>((resolve, reject) => {
      const settle = (error?: Error): void => {
        clearTimeout(timer);
        this.client.off('ready', onReady);
        this.client.off('error', onError);
        if (error) reject(error);
        else resolve();
      };
      const onReady = (): void => settle();
      const onError = (error: Error): void => settle(error);
      const timer = setTimeout(
        () =>
          settle(
            new StorageError(
              'timeout',
              this.client.status === 'connect'
                ? `${this.label}: connected, but no answer to the connection's first command within ${waitMs} ms (connect_timeout)`
                : `${this.label}: not connected within ${waitMs} ms (connect_timeout; the connection is ${this.client.status})`,
            ),
          ),
        waitMs,
      );
      this.client.on('ready', onReady);
      this.client.on('error', onError);
    });
  }

  private key(key: string): string {
    return this.options.prefix ? `${this.options.prefix}:${key}` : key;
  }

  private failure(error: unknown, what: string): StorageError {
    if (error instanceof StorageError) return error;
    const message = (error as Error)?.message ?? String(error);
    const where = `${what} ${this.label}`;
    const connection = this.connectionError?.message ?? '';
    if (AUTH_REPLY.test(message) || AUTH_REPLY.test(connection)) {
      const reason = AUTH_REPLY.test(message) ? message : connection;
      return new StorageError(
        'auth',
        `${where}: Redis refused the credentials or this command (${reason.split('\n')[0]}): check username and password_file, and the user's ACL`,
        { cause: error },
      );
    }
    if (/Command timed out/i.test(message))
      return new StorageError('timeout', `${where}: no answer in time`, { cause: error });
    const network =
      classifyNetworkError(error) ?? (this.connectionError ? classifyNetworkError(this.connectionError) : undefined);
    if (network) return new StorageError(network.kind, `${where}: ${network.message}`, { cause: error });
    return new StorageError(
      'error',
      `${where}: ${message.split('\n')[0]}${connection && connection !== message ? ` (connection: ${connection.split('\n')[0]})` : ''}`,
      { cause: error },
    );
  }

  async get(key: string, _signal?: AbortSignal, progress?: ReadProgress): Promise<Uint8Array | undefined> {
    try {
      const name = this.key(key);
      const expiry = this.options.expirySeconds;
      const value = await this.call(() => {
        // STRLEN, sent just before the GET on the same connection, is answered just before it: it says
        // that the answer has started and how large it is (a tiny reply where the GET's may be megabytes).
        if (progress) {
          this.client.strlen(name).then(
            (length) => progress.started(length),
            () => undefined,
          );
        }
        return expiry > 0 ? this.client.getexBuffer(name, 'EX', expiry) : this.client.getBuffer(name);
      });
      return value ?? undefined;
    } catch (error) {
      throw this.failure(error, 'GET from');
    }
  }

  async put(key: string, value: Uint8Array, options: PutOptions): Promise<void> {
    const body = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    const name = this.key(key);
    const expiry = this.options.expirySeconds;
    try {
      await this.call(() => {
        if (expiry > 0)
          return options.overwrite
            ? this.client.set(name, body, 'EX', expiry)
            : this.client.set(name, body, 'EX', expiry, 'NX');
        return options.overwrite ? this.client.set(name, body) : this.client.set(name, body, 'NX');
      });
    } catch (error) {
      throw this.failure(error, 'SET in');
    }
  }

  async remove(key: string): Promise<void> {
    try {
      await this.call(() => this.client.del(this.key(key)));
    } catch (error) {
      throw this.failure(error, 'DEL in');
    }
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }
}
