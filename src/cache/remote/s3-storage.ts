import { AsyncLocalStorage } from 'node:async_hooks';
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import type { Client } from 'minio';
import { StorageError, type CacheStorage, type PutOptions, type ReadProgress } from '../storage.js';
import type { AwsCredentialSource } from './aws-credentials.js';
import { IDLE_SOCKET_MS, boundConnect } from './connect-bound.js';
import { classifyNetworkError } from './network-errors.js';

export interface S3StorageOptions {
  label: string;
  bucket: string;
  /** Joined to every key with "/"; empty for none. */
  prefix: string;
  region: string;
  /** http(s)://host[:port] of an S3-compatible server; AWS when unset. */
  endpoint?: string | undefined;
  pathStyle?: boolean | undefined;
  credentials: AwsCredentialSource;
  connectTimeoutMs: number;
}

/** S3 error codes that mean the credentials (or their rights) are the problem, not the object. */
const AUTH_CODES = new Set([
  'AccessDenied',
  'AllAccessDisabled',
  'ExpiredToken',
  'InvalidAccessKeyId',
  'InvalidToken',
  'SignatureDoesNotMatch',
  'TokenRefreshRequired',
  'Forbidden',
  'Unauthorized',
]);

/**
 * An S3-compatible bucket (AWS, MinIO, Ceph, R2, …) through minio's client: one object per key, under
 * `<prefix>/<key>`. minio takes no AbortSignal, so each call's signal reaches the HTTP request through
 * the transport below; its own retries are off, since failures are handled once, above the backend.
 */
export class S3Storage implements CacheStorage {
  /** Loads minio only when a server has an S3 remote: it is not small, and most servers have none. */
  static async open(options: S3StorageOptions): Promise<S3Storage> {
    return new S3Storage(options, await import('minio'));
  }

  readonly label: string;
  private readonly client: Client;
  private readonly agent: http.Agent;
  private readonly callSignal = new AsyncLocalStorage<AbortSignal | undefined>();

  private constructor(
    private readonly options: S3StorageOptions,
    private readonly minio: typeof import('minio'),
  ) {
    this.label = options.label;
    const endpoint = new URL(options.endpoint ?? `https://s3.${options.region}.amazonaws.com`);
    const useSSL = endpoint.protocol === 'https:';
    this.agent = useSSL
      ? new https.Agent({ keepAlive: true, maxSockets: 16, timeout: IDLE_SOCKET_MS })
      : new http.Agent({ keepAlive: true, maxSockets: 16, timeout: IDLE_SOCKET_MS });
    const credentials = options.credentials;
    const { Client, IamAwsProvider } = minio;
    this.client = new Client({
      endPoint: endpoint.hostname,
      ...(endpoint.port ? { port: Number(endpoint.port) } : {}),
      useSSL,
      region: options.region,
      pathStyle: options.pathStyle ?? options.endpoint !== undefined,
      transport: this.transport(useSSL ? https : http),
      transportAgent: this.agent,
      retryOptions: { disableRetry: true },
      ...(credentials.kind === 'static'
        ? {
            accessKey: credentials.accessKey,
            secretKey: credentials.secretKey,
            ...(credentials.sessionToken ? { sessionToken: credentials.sessionToken } : {}),
          }
        : credentials.kind === 'instance'
          ? { credentialsProvider: new IamAwsProvider({}) }
          : {}),
    });
  }

  /** http.request with the calling operation's signal and a bound on connecting. */
  private transport(module: typeof http | typeof https): { request: typeof http.request } {
    const connectTimeoutMs = this.options.connectTimeoutMs;
    const callSignal = this.callSignal;
    const request = (
      options: http.RequestOptions,
      callback?: (response: http.IncomingMessage) => void,
    ): http.ClientRequest => {
      const signal = callSignal.getStore();
      const outgoing = module.request({ ...options, ...(signal ? { signal } : {}) }, callback);
      boundConnect(outgoing, connectTimeoutMs);
      return outgoing;
    };
    return { request: request as typeof http.request };
  }

  private objectName(key: string): string {
    return this.options.prefix ? `${this.options.prefix.replace(/\/+$/, '')}/${key}` : key;
  }

  private failure(error: unknown, what: string): StorageError {
    if (error instanceof StorageError) return error;
    const where = `${what} ${this.label}`;
    if (error instanceof this.minio.S3Error || (error as { code?: string }).code !== undefined) {
      const code = (error as { code?: string }).code ?? '';
      if (AUTH_CODES.has(code))
        return new StorageError(
          'auth',
          `${where}: ${code}: the bucket refused these credentials (${(error as Error).message})`,
          { cause: error },
        );
      if (code === 'NoSuchBucket')
        return new StorageError(
          'error',
          `${where}: no bucket "${this.options.bucket}" there: create it, or fix the URL`,
          { cause: error },
        );
    }
    const network = classifyNetworkError(error);
    if (network) return new StorageError(network.kind, `${where}: ${network.message}`, { cause: error });
    const message = (error as Error).message ?? String(error);
    // minio turns a credential fetch that failed (no instance metadata here) into a plain error.
    if (/credential/i.test(message))
      return new StorageError('auth', `${where}: could not get AWS credentials: ${message}`, { cause: error });
    return new StorageError('error', `${where}: ${message}`, { cause: error });
  }

  async get(key: string, signal?: AbortSignal, progress?: ReadProgress): Promise<Uint8Array | undefined> {
    try {
      return await this.callSignal.run(signal, async () => {
        const stream = await this.client.getObject(this.options.bucket, this.objectName(key));
        // The response's headers are in: the answer has started, and says how large it is.
        const length = Number(
          (stream as Readable & { headers?: Record<string, string | undefined> }).headers?.['content-length'],
        );
        progress?.started(Number.isSafeInteger(length) && length >= 0 ? length : undefined);
        return await readAll(stream);
      });
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'NoSuchKey' || code === 'NotFound') return undefined;
      throw this.failure(error, 'GET from');
    }
  }

  async put(key: string, value: Uint8Array, _options: PutOptions, signal?: AbortSignal): Promise<void> {
    // An entry's key names its content, so replacing an object stores the same thing again: S3 has no
    // cheap "only if absent" that every compatible server honours, and a HEAD first would cost a request.
    const body = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    try {
      await this.callSignal.run(signal, () =>
        this.client.putObject(this.options.bucket, this.objectName(key), body, body.byteLength, {
          'Content-Type': 'application/octet-stream',
        }),
      );
    } catch (error) {
      throw this.failure(error, 'PUT to');
    }
  }

  async remove(key: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.callSignal.run(signal, () => this.client.removeObject(this.options.bucket, this.objectName(key)));
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'NoSuchKey' || code === 'NotFound') return;
      throw this.failure(error, 'DELETE in');
    }
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }
}

async function readAll(stream: Readable): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
