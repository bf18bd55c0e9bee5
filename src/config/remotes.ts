import { z } from 'zod';
import { parseDuration } from './units.js';

/**
 * The `[[remotes]]` of config.toml: shared caches behind the local disk, read in the order given.
 * One table per remote; `url` says which kind (s3://, redis://, rediss://, http://, https://). In the environment
 * (HOARD_REMOTES) the same remotes are URLs separated by whitespace, each table key a query parameter:
 * `s3://ci-cache/hoard?region=eu-west-1&read_only=true redis://cache.internal:6379/2`.
 * Secrets are never values of this schema except a password in a Redis or HTTP URL (masked wherever
 * shown): a password file, a token file, an AWS credentials file, or the AWS standard chain holds them.
 */

export const REMOTE_KINDS = ['s3', 'redis', 'http'] as const;
export type RemoteKind = (typeof REMOTE_KINDS)[number];

const seconds = (fallback: number) =>
  z
    .union([z.string(), z.number()])
    .transform((value, context) => {
      const parsed = parseDuration(value);
      if (parsed === undefined) {
        context.addIssue({
          code: 'custom',
          message: `expected a duration such as "500ms", "2s", "1m" or "7d", got ${JSON.stringify(value)}`,
        });
        return z.NEVER;
      }
      return parsed;
    })
    .default(fallback);

const absolutePath = z
  .string()
  .refine((path) => path.startsWith('/'), { message: 'expected an absolute path to a file' });
const flag = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
  .transform((value) => value === true || value === 'true' || value === '1' || value === 'yes');

/** Options only some kinds of remote understand, with those kinds. */
const KIND_OPTIONS: Record<string, readonly RemoteKind[]> = {
  region: ['s3'],
  endpoint: ['s3'],
  path_style: ['s3'],
  anonymous: ['s3'],
  profile: ['s3'],
  credentials_file: ['s3'],
  username: ['redis', 'http'],
  password_file: ['redis', 'http'],
  token_file: ['http'],
  cluster: ['redis'],
  expiry: ['redis'],
};

export function remoteKindOf(url: string): RemoteKind | undefined {
  const scheme = /^([a-z0-9+.-]+):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 's3') return 's3';
  if (scheme === 'redis' || scheme === 'rediss') return 'redis';
  if (scheme === 'http' || scheme === 'https') return 'http';
  return undefined;
}

export const remoteSchema = z
  .object({
    url: z.string(),
    /** Shown in statistics and logs; the URL without secrets when unset. */
    name: z.string().min(1).optional(),
    read_only: flag.default(false),
    /** Put in front of every key: `<prefix>/e/<hex>` on S3 and HTTP, `<prefix>:e/<hex>` on Redis. */
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9._/:-]*$/, { message: 'expected letters, digits and . _ / : - only' })
      .refine((prefix) => !prefix.split('/').some((segment) => segment === '.' || segment === '..'), {
        message: 'no . or .. segments: a prefix names a place below the URL, never above it',
      })
      .optional(),
    connect_timeout: seconds(0.5),
    timeout: seconds(2),
    upload_timeout: seconds(60),
    cool_off: seconds(30),
    region: z.string().min(1).optional(),
    endpoint: z
      .string()
      .regex(/^https?:\/\/[^/]+\/?$/, { message: 'expected http(s)://host[:port]' })
      .optional(),
    path_style: flag.optional(),
    anonymous: flag.default(false),
    profile: z.string().min(1).optional(),
    credentials_file: absolutePath.optional(),
    username: z.string().min(1).optional(),
    password_file: absolutePath.optional(),
    /** HTTP: a file holding a bearer token, sent as `Authorization: Bearer <token>`. */
    token_file: absolutePath.optional(),
    cluster: flag.default(false),
    expiry: seconds(0),
  })
  .strict()
  .superRefine((remote, context) => {
    const kind = remoteKindOf(remote.url);
    if (!kind) {
      context.addIssue({
        code: 'custom',
        path: ['url'],
        message: `expected an s3://bucket[/prefix], redis://host[:port][/db], rediss://…, or http(s)://host[:port][/path] URL, got ${JSON.stringify(maskUrl(remote.url))}`,
      });
      return;
    }
    const userInfo = splitUserInfo(remote.url)?.userInfo;
    if (userInfo !== undefined && /[/?#]/.test(userInfo)) {
      context.addIssue({
        code: 'custom',
        path: ['url'],
        message:
          'an @ after a / ? or #: if it ends a user and password, percent-encode / ? # in them (%2F %3F %23), or better, put the password in password_file',
      });
      return;
    }
    let parsed: URL;
    try {
      parsed = new URL(remote.url);
    } catch {
      context.addIssue({
        code: 'custom',
        path: ['url'],
        message: `not a valid URL: ${JSON.stringify(maskUrl(remote.url))}`,
      });
      return;
    }
    try {
      decodeURIComponent(parsed.username);
      decodeURIComponent(parsed.password);
    } catch {
      context.addIssue({
        code: 'custom',
        path: ['url'],
        message:
          "the URL's user or password has a % that is not percent-encoding: write %25 for %, or better, use password_file",
      });
    }
    if (kind === 'http' && (parsed.search || parsed.hash))
      context.addIssue({
        code: 'custom',
        path: ['url'],
        message:
          "an HTTP remote's URL takes no query or fragment: set options in its table (or after ? in HOARD_REMOTES)",
      });
    if (!parsed.hostname)
      context.addIssue({
        code: 'custom',
        path: ['url'],
        message: kind === 's3' ? 'names no bucket (s3://BUCKET/prefix)' : 'names no host',
      });
    if (kind === 'redis') {
      const database = parsed.pathname.replace(/^\//, '');
      if (database !== '' && !/^\d+$/.test(database))
        context.addIssue({
          code: 'custom',
          path: ['url'],
          message: `the path of a Redis URL is the database number, got "${database}"`,
        });
      if (remote.cluster && database !== '' && database !== '0')
        context.addIssue({ code: 'custom', path: ['url'], message: 'Redis Cluster has database 0 only' });
    }
    if (kind === 'http' && remote.token_file && (remote.username || remote.password_file || parsed.username))
      context.addIssue({
        code: 'custom',
        path: ['token_file'],
        message:
          'a bearer token (token_file) or a user and password (username and password_file, or in the URL), not both: drop one',
      });
    for (const [option, owners] of Object.entries(KIND_OPTIONS)) {
      const value = remote[option as keyof typeof remote];
      const set = value !== undefined && value !== false && value !== 0;
      if (set && !owners.includes(kind))
        context.addIssue({
          code: 'custom',
          path: [option],
          message: `applies to ${owners.join(' and ')} remotes only, and this one is ${kind} (${remote.url.split(':')[0]}://)`,
        });
    }
    if (remote.anonymous && !remote.read_only)
      context.addIssue({
        code: 'custom',
        path: ['anonymous'],
        message: 'an anonymous remote can only be read: set read_only = true as well',
      });
  });

export type RemoteConfig = z.output<typeof remoteSchema>;

/** HOARD_REMOTES (or a string in the file): URLs separated by whitespace, options as query parameters. */
export function remotesFromText(text: string): Array<Record<string, unknown>> {
  return text
    .split(/\s+/)
    .filter(Boolean)
    .map((entry) => {
      const query = entry.indexOf('?');
      // A `?` inside the user information is part of a password, not the start of options: the URL is kept
      // whole, and the schema refuses it without showing it.
      if (query === -1 || splitUserInfo(entry)?.userInfo.includes('?')) return { url: entry };
      const table: Record<string, unknown> = { url: entry.slice(0, query) };
      for (const [key, value] of new URLSearchParams(entry.slice(query + 1))) table[key] = value;
      return table;
    });
}

export const remotesSchema = z
  .union([z.string(), z.array(z.record(z.string(), z.unknown()))])
  .transform((value) => (typeof value === 'string' ? remotesFromText(value) : value))
  .pipe(z.array(remoteSchema));

/** An authority that is a host and maybe a port, nothing more: an `@` after it belongs to the path. */
const HOST_AND_PORT = /^(?:[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]*\])(?::\d+)?$/;

/**
 * A URL cut around its user information. The authority ends at the first `/ ? #`; when it is a plain
 * host[:port], any later `@` is in the path (`http://cache/v2@team/`). Otherwise the user information ends
 * at the last `@`, as URL parsers take it, so a password holding `@ / ? #` is hidden whole. A password
 * that looks like a port followed by a path (`ci:12/ss@host`) reads as host and path, as parsers read it.
 */
function splitUserInfo(url: string): { scheme: string; userInfo: string; rest: string } | undefined {
  const scheme = /^(?:[a-z0-9+.-]+:)?\/\//i.exec(url)?.[0] ?? '';
  if (!scheme && url.startsWith('/')) return undefined;
  const afterScheme = url.slice(scheme.length);
  const at = afterScheme.lastIndexOf('@');
  if (at === -1) return undefined;
  const authority = afterScheme.split(/[/?#]/, 1)[0] ?? '';
  if (!authority.includes('@') && HOST_AND_PORT.test(authority)) return undefined;
  return { scheme, userInfo: afterScheme.slice(0, at), rest: afterScheme.slice(at + 1) };
}

/** The URL with any password replaced: for logs, `hoard config`, the status the server reports. */
export function maskUrl(url: string): string {
  const parts = splitUserInfo(url);
  if (!parts) return url;
  const { scheme, userInfo, rest } = parts;
  if (/[/?#]/.test(userInfo)) return `${scheme}***@${rest}`;
  const colon = userInfo.indexOf(':');
  return colon === -1 ? url : `${scheme}${userInfo.slice(0, colon)}:***@${rest}`;
}

/** What a remote is called in statistics, logs and `hoard doctor`: its name, or its URL without secrets. */
export function remoteLabel(remote: Pick<RemoteConfig, 'url' | 'name'>): string {
  if (remote.name) return remote.name;
  const parts = splitUserInfo(remote.url);
  return parts ? `${parts.scheme}${parts.rest}` : remote.url;
}

/** A copy of the remotes safe to print: passwords masked (file paths are not secrets). */
export function maskRemotes(remotes: readonly RemoteConfig[]): RemoteConfig[] {
  return remotes.map((remote) => ({ ...remote, url: maskUrl(remote.url) }));
}
