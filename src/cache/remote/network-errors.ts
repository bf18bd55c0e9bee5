import type { StorageFailureKind } from '../storage.js';

/** What to tell the user for the network failures every backend meets, or undefined for others. */
const HINTS: Record<string, { kind: StorageFailureKind; say: string }> = {
  ECONNREFUSED: {
    kind: 'error',
    say: 'connection refused: nothing listens there (is the server down, or the port wrong?)',
  },
  ECONNRESET: { kind: 'error', say: 'the connection was reset by the other end' },
  EPIPE: { kind: 'error', say: 'the connection was closed by the other end' },
  ENOTFOUND: { kind: 'error', say: 'the host name does not resolve: check the URL or endpoint' },
  EAI_AGAIN: { kind: 'error', say: 'the host name could not be resolved now (DNS)' },
  EHOSTUNREACH: { kind: 'error', say: 'the host is unreachable from here (network, VPN?)' },
  ENETUNREACH: { kind: 'error', say: 'the network is unreachable from here (VPN?)' },
  ETIMEDOUT: { kind: 'timeout', say: 'no connection in time' },
  ECONNABORTED: { kind: 'timeout', say: 'the request was cut off' },
  ABORT_ERR: { kind: 'timeout', say: 'the request was cut off' },
  HPE_INVALID_CONSTANT: { kind: 'error', say: 'the server does not speak HTTP' },
  HPE_INVALID_STATUS: { kind: 'error', say: 'the server does not speak HTTP' },
  ERR_SSL_WRONG_VERSION_NUMBER: {
    kind: 'error',
    say: 'TLS to a server that does not speak it (https:// or rediss:// to a plain port?)',
  },
  DEPTH_ZERO_SELF_SIGNED_CERT: {
    kind: 'error',
    say: 'the server has a self-signed certificate (NODE_EXTRA_CA_CERTS names extra CAs)',
  },
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: {
    kind: 'error',
    say: 'the server certificate cannot be verified (NODE_EXTRA_CA_CERTS names extra CAs)',
  },
};

export function classifyNetworkError(error: unknown): { kind: StorageFailureKind; message: string } | undefined {
  const code = (error as { code?: unknown }).code;
  if ((error as Error)?.name === 'AbortError') return { kind: 'timeout', message: 'the request was cut off' };
  if (typeof code !== 'string') return undefined;
  const hint = HINTS[code];
  return hint ? { kind: hint.kind, message: `${hint.say} (${code})` } : undefined;
}
