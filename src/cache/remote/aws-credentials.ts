import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HoardError } from '../../errors/hoard-error.js';

/**
 * Where an S3 remote's credentials come from: the AWS standard chain, in the SDK's order, so whatever
 * already works for the aws CLI on that machine or CI runner works for hoard too. Secrets stay in the
 * environment or in files; nothing here logs them.
 */
export type AwsCredentialSource =
  | { kind: 'anonymous' }
  | { kind: 'static'; from: string; accessKey: string; secretKey: string; sessionToken?: string }
  /** Web identity (EKS, GitHub OIDC), ECS container credentials or the EC2 instance profile: fetched and renewed by minio's IamAwsProvider. */
  | { kind: 'instance'; from: string };

export interface AwsCredentialOptions {
  anonymous: boolean;
  profile?: string | undefined;
  credentialsFile?: string | undefined;
}

/** A credentials problem the user can fix (a named profile that is not there, an unreadable file). */
export class AwsCredentialsError extends HoardError {
  override name = 'AwsCredentialsError';
  override readonly code = 'aws-credentials';
}

/** The sections of an AWS shared credentials file (INI): `[name]` then `key = value` lines. */
export function parseCredentialsFile(text: string): Map<string, Record<string, string>> {
  const sections = new Map<string, Record<string, string>>();
  let current: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[\s*(?:profile\s+)?([^\]]+?)\s*\]$/.exec(line);
    if (header) {
      current = {};
      sections.set(header[1]!, current);
      continue;
    }
    const pair = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
    if (pair && current) current[pair[1]!.toLowerCase()] = pair[2]!;
  }
  return sections;
}

function fromFile(file: string, profile: string, required: boolean): AwsCredentialSource | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (!required && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AwsCredentialsError(
      `cannot read the AWS credentials file ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): check credentials_file and its permissions`,
    );
  }
  const section = parseCredentialsFile(text).get(profile);
  const accessKey = section?.aws_access_key_id;
  const secretKey = section?.aws_secret_access_key;
  if (!accessKey || !secretKey) {
    if (!required) return undefined;
    throw new AwsCredentialsError(
      `the AWS credentials file ${file} has no profile [${profile}] with aws_access_key_id and aws_secret_access_key: add it, or set profile to one it has`,
    );
  }
  return {
    kind: 'static',
    from: `${file} [${profile}]`,
    accessKey,
    secretKey,
    ...(section.aws_session_token ? { sessionToken: section.aws_session_token } : {}),
  };
}

/**
 * The first source of the chain that has credentials: a remote's own `credentials_file`/`profile`;
 * then AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (with AWS_SESSION_TOKEN); the shared credentials
 * file (AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials, profile AWS_PROFILE or default); then web
 * identity, container and instance credentials, fetched when first needed.
 */
export function resolveAwsCredentials(
  options: AwsCredentialOptions,
  env: Record<string, string | undefined>,
  home: string,
): AwsCredentialSource {
  if (options.anonymous) return { kind: 'anonymous' };
  const profile = options.profile ?? env.AWS_PROFILE ?? 'default';
  if (options.credentialsFile) return fromFile(options.credentialsFile, profile, true)!;
  const sharedFile = env.AWS_SHARED_CREDENTIALS_FILE || join(home, '.aws', 'credentials');
  if (options.profile) return fromFile(sharedFile, profile, true)!;
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return {
      kind: 'static',
      from: 'AWS_ACCESS_KEY_ID',
      accessKey: env.AWS_ACCESS_KEY_ID,
      secretKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    };
  }
  const shared = fromFile(sharedFile, profile, false);
  if (shared) return shared;
  if (env.AWS_WEB_IDENTITY_TOKEN_FILE) return { kind: 'instance', from: 'AWS_WEB_IDENTITY_TOKEN_FILE' };
  if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || env.AWS_CONTAINER_CREDENTIALS_FULL_URI)
    return { kind: 'instance', from: 'container credentials' };
  if (env.AWS_EC2_METADATA_DISABLED === 'true') {
    throw new AwsCredentialsError(
      'no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, credentials_file or profile, or anonymous = true for a public bucket',
    );
  }
  return { kind: 'instance', from: 'EC2 instance metadata' };
}
