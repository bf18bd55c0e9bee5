import http from 'node:http';
import https from 'node:https';
import { StorageError, type CacheStorage, type PutOptions, type ReadProgress } from '../storage.js';
import { IDLE_SOCKET_MS, boundConnect } from './connect-bound.js';
import { maskUrl } from '../../config/remotes.js';
import { classifyNetworkError } from './network-errors.js';

export interface HttpStorageOptions {
  label: string;
  /** http(s)://host[:port]/path: every key is a path below it. Any user:password in it is not used here. */
  url: string;
  /** A path segment (or several) between the URL's path and the key; empty for none. */
  prefix: string;
  /** The value of the Authorization header: `Bearer …` or `Basic …`; none when unset. */
  authorization?: string | undefined;
  connectTimeoutMs: number;
}

/** What a status the server answers means for the user, beyond its number. */
function statusHint(method: string, response: http.IncomingMessage): string {
  const status = response.statusCode ?? 0;
  if (status === 401) return 'the server wants credentials: check token_file (or username and password_file)';
  if (status === 403)
    return method === 'GET'
      ? 'the server refused these credentials: check token_file (or username and password_file)'
      : 'the server refused to store with these credentials: if they may only read, set read_only = true';
  if (status >= 300 && status <= 399) {
    const location = response.headers.location;
    // Following it would send the credentials wherever the server points: the user moves the URL instead.
    return location
      ? `the server moved it to ${JSON.stringify(maskUrl(location).slice(0, 200))}: set url to that place (hoard follows no redirects)`
      : 'the server redirects without saying where: check the URL (hoard follows no redirects)';
  }
  if (status === 405 || status === 501)
    return `the server does not accept ${method} there: enable WebDAV's PUT and DELETE (nginx: dav_methods PUT DELETE)`;
  if (status === 409)
    return 'the server has no directory for it: let it make them (nginx: create_full_put_path on), or make e/ and m/ below the URL and prefix';
  if (status === 413)
    return 'the server refuses an object this large: raise its limit (nginx: client_max_body_size, 1 MB unless set)';
  // nginx answers 500 when its rename into a directory that does not exist fails.
  if (status >= 500 && method === 'PUT')
    return 'the server failed to store it: see its log (nginx: create_full_put_path on, and a root its workers may write)';
  if (status >= 500) return 'the server failed: see its own log';
  return 'unexpected for this request';
}

/**
 * A plain HTTP(S) server that stores what is PUT and serves it back: nginx or Apache with WebDAV,
 * lighttpd's mod_webdav, or anything that answers GET, PUT and DELETE on a path. One object per key,
 * at `<url>/<prefix>/<key>`, with an optional bearer token or basic credentials. Node's own http client
 * with a keep-alive pool: no client library to load, and each call's signal reaches its request.
 */
export class HttpStorage implements CacheStorage {
  readonly label: string;
  private readonly base: URL;
  private readonly module: typeof http | typeof https;
  private readonly agent: http.Agent;

  constructor(private readonly options: HttpStorageOptions) {
    this.label = options.label;
    const base = new URL(options.url);
    base.username = '';
    base.password = '';
    base.search = '';
    base.hash = '';
    const prefix = options.prefix.replace(/^\/+|\/+$/g, '');
    base.pathname = `${base.pathname.replace(/\/+$/, '')}/${prefix ? `${prefix}/` : ''}`;
    this.base = base;
    this.module = base.protocol === 'https:' ? https : http;
    this.agent = new this.module.Agent({ keepAlive: true, maxSockets: 16, timeout: IDLE_SOCKET_MS });
  }

  /** Where a key lives. Keys are made of [0-9a-z/_-] (storage.ts), so they need no escaping. */
  private urlOf(key: string): URL {
    return new URL(key, this.base);
  }

  private failure(error: unknown, what: string): StorageError {
    if (error instanceof StorageError) return error;
    const where = `${what} ${this.label}`;
    const network = classifyNetworkError(error);
    if (network) return new StorageError(network.kind, `${where}: ${network.message}`, { cause: error });
    return new StorageError('error', `${where}: ${(error as Error).message ?? String(error)}`, { cause: error });
  }

  private statusError(method: string, what: string, response: http.IncomingMessage): StorageError {
    const status = response.statusCode ?? 0;
    const kind = status === 401 || status === 403 ? 'auth' : 'error';
    return new StorageError(
      kind,
      `${what} ${this.label}: HTTP ${status}${response.statusMessage ? ` ${response.statusMessage}` : ''}: ${statusHint(method, response)}`,
    );
  }

  /**
   * One request; resolves with the response once its headers are in (its body not yet read), rejects on
   * any failure before that. The caller reads or discards the body. A socket from the pool that the
   * server had closed meanwhile fails at once (ECONNRESET, or EPIPE while a PUT's body is written): the
   * request goes again on a new one (GET, PUT and DELETE are idempotent).
   */
  private async request(
    method: 'GET' | 'PUT' | 'DELETE',
    key: string,
    body: Buffer | undefined,
    signal: AbortSignal | undefined,
  ): Promise<http.IncomingMessage> {
    try {
      return await this.send(method, key, body, signal);
    } catch (error) {
      const stale = (error as { reusedSocket?: boolean }).reusedSocket === true;
      const code = (error as NodeJS.ErrnoException).code;
      if (!stale || signal?.aborted || (code !== 'ECONNRESET' && code !== 'EPIPE')) throw error;
      return this.send(method, key, body, signal);
    }
  }

  private send(
    method: 'GET' | 'PUT' | 'DELETE',
    key: string,
    body: Buffer | undefined,
    signal: AbortSignal | undefined,
  ): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = {};
      if (this.options.authorization) headers.authorization = this.options.authorization;
      if (body) {
        headers['content-type'] = 'application/octet-stream';
        headers['content-length'] = body.byteLength;
      }
      const request = this.module.request(this.urlOf(key), {
        method,
        agent: this.agent,
        headers,
        ...(signal ? { signal } : {}),
      });
      boundConnect(request, this.options.connectTimeoutMs);
      request.once('response', resolve);
      request.once('error', (error) => reject(Object.assign(error, { reusedSocket: request.reusedSocket })));
      request.end(body);
    });
  }

  async get(key: string, signal?: AbortSignal, progress?: ReadProgress): Promise<Uint8Array | undefined> {
    try {
      const response = await this.request('GET', key, undefined, signal);
      if (response.statusCode === 404 || response.statusCode === 410) {
        response.resume();
        return undefined;
      }
      if (response.statusCode !== 200) {
        response.resume();
        throw this.statusError('GET', 'GET from', response);
      }
      const length = Number(response.headers['content-length']);
      progress?.started(Number.isSafeInteger(length) && length >= 0 ? length : undefined);
      // A body cut short fails here when the server said its length (or sent it chunked); one that ends
      // where the connection closes can come back shorter, and the object's digest refuses it.
      const chunks: Buffer[] = [];
      for await (const chunk of response) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    } catch (error) {
      throw this.failure(error, 'GET from');
    }
  }

  async put(key: string, value: Uint8Array, _options: PutOptions, signal?: AbortSignal): Promise<void> {
    // An entry's key names its content, so replacing an object stores the same thing again, as on S3:
    // WebDAV servers do not agree on a conditional PUT, and a request first to ask would cost a trip.
    const body = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    try {
      const response = await this.request('PUT', key, body, signal);
      response.resume();
      const status = response.statusCode ?? 0;
      if (status < 200 || status > 299) throw this.statusError('PUT', 'PUT to', response);
    } catch (error) {
      throw this.failure(error, 'PUT to');
    }
  }

  async remove(key: string, signal?: AbortSignal): Promise<void> {
    try {
      const response = await this.request('DELETE', key, undefined, signal);
      response.resume();
      const status = response.statusCode ?? 0;
      if (status === 404 || status === 410 || (status >= 200 && status <= 299)) return;
      throw this.statusError('DELETE', 'DELETE in', response);
    } catch (error) {
      throw this.failure(error, 'DELETE in');
    }
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }
}
