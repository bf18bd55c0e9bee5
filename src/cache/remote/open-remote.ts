import { readFile } from 'node:fs/promises';
import { remoteKindOf, remoteLabel, type RemoteConfig } from '../../config/remotes.js';
import { StorageError, type CacheStorage, type StorageFailureKind } from '../storage.js';
import { AwsCredentialsError, resolveAwsCredentials } from './aws-credentials.js';

/**
 * Stands in for a remote that could not even be set up (an unreadable password file, credentials that
 * are nowhere): every call fails with the reason, so the guard counts it, logs it once and leaves it
 * alone, and the server and every build go on. Nothing at start-up may stop the server.
 */
export class UnopenedStorage implements CacheStorage {
  constructor(
    readonly label: string,
    private readonly kind: StorageFailureKind,
    private readonly reason: string,
  ) {}
  private fail(): never {
    throw new StorageError(this.kind, `${this.label}: ${this.reason}`);
  }
  async get(): Promise<Uint8Array | undefined> {
    this.fail();
  }
  async put(): Promise<void> {
    this.fail();
  }
  async remove(): Promise<void> {
    this.fail();
  }
  async close(): Promise<void> {}
}

async function readSecret(path: string, what: string): Promise<string> {
  try {
    // A file written with `echo` ends in a newline that is not part of the secret.
    return (await readFile(path, 'utf8')).replace(/\r?\n$/, '');
  } catch (error) {
    throw new StorageError(
      'auth',
      `cannot read ${what} ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): check the path and its permissions`,
    );
  }
}

/** A bearer token: one line, without the spaces around it; RFC 6750's tokens are printable ASCII, and a header cannot carry a line break. */
async function readToken(path: string): Promise<string> {
  const token = (await readSecret(path, 'token_file')).trim();
  if (!/^[!-~]+$/.test(token))
    throw new StorageError(
      'auth',
      `token_file ${path} must hold the token alone, on one line (printable ASCII without spaces)`,
    );
  return token;
}

/** `Basic …` for a user and password (from the options or the URL), or undefined when there is neither. */
function basicAuthorization(username: string, password: string): string | undefined {
  if (!username && !password) return undefined;
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

export interface OpenContext {
  env: Record<string, string | undefined>;
  home: string;
}

/** The backend a remote's configuration names, unguarded; a setup failure gives an UnopenedStorage. */
export async function openBackend(remote: RemoteConfig, context: OpenContext): Promise<CacheStorage> {
  const label = remoteLabel(remote);
  try {
    const url = new URL(remote.url);
    const connectTimeoutMs = Math.max(1, remote.connect_timeout * 1000);
    if (remoteKindOf(remote.url) === 's3') {
      const credentials = resolveAwsCredentials(
        { anonymous: remote.anonymous, profile: remote.profile, credentialsFile: remote.credentials_file },
        context.env,
        context.home,
      );
      const { S3Storage } = await import('./s3-storage.js');
      return await S3Storage.open({
        label,
        bucket: url.hostname,
        prefix: remote.prefix ?? (url.pathname.replace(/^\/+|\/+$/g, '') || 'hoard'),
        region: remote.region ?? context.env.AWS_REGION ?? context.env.AWS_DEFAULT_REGION ?? 'us-east-1',
        endpoint: remote.endpoint,
        pathStyle: remote.path_style,
        credentials,
        connectTimeoutMs,
      });
    }
    const password = remote.password_file ? await readSecret(remote.password_file, 'password_file') : undefined;
    if (remoteKindOf(remote.url) === 'http') {
      const { HttpStorage } = await import('./http-storage.js');
      return new HttpStorage({
        label,
        url: remote.url,
        prefix: remote.prefix ?? '',
        authorization: remote.token_file
          ? `Bearer ${await readToken(remote.token_file)}`
          : basicAuthorization(
              remote.username ?? decodeURIComponent(url.username),
              password ?? decodeURIComponent(url.password),
            ),
        connectTimeoutMs,
      });
    }
    const { RedisStorage } = await import('./redis-storage.js');
    return await RedisStorage.open({
      label,
      url: remote.url,
      username: remote.username,
      password,
      prefix: remote.prefix ?? 'hoard',
      expirySeconds: Math.round(remote.expiry),
      cluster: remote.cluster,
      connectTimeoutMs,
      commandTimeoutMs: Math.max(remote.timeout, remote.upload_timeout) * 1000,
    });
  } catch (error) {
    if (error instanceof StorageError) return new UnopenedStorage(label, error.kind, error.message);
    if (error instanceof AwsCredentialsError) return new UnopenedStorage(label, 'auth', error.message);
    return new UnopenedStorage(label, 'error', `could not be set up: ${(error as Error).message}`);
  }
}
