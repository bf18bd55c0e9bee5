/**
 * bin/hoard hides NODE_EXTRA_CA_CERTS from Node (reading it slows every start and the wrapper never
 * does TLS) under this name; the compiler and the server get it back.
 */
export const SAVED_CA_CERTS_VARIABLE = 'HOARD_NODE_EXTRA_CA_CERTS';

/**
 * bin/hoard records here the name it was started by ($0). Anything but a name of hoard means a link
 * named like a compiler (`rustc` → hoard) was run as the compiler.
 */
export const INVOKED_AS_VARIABLE = 'HOARD_INVOKED_AS';
/**
 * Set by the wrapper for the compiler it runs: one fingerprint per hoard call in progress, outermost
 * first. A hoard started underneath sees them, so a compiler that leads back to hoard stops at once
 * instead of recursing, at no cost of an extra process.
 */
export const NESTING_VARIABLE = 'HOARD_NESTING';

export function restoredEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (!(SAVED_CA_CERTS_VARIABLE in env)) return env;
  const restored: NodeJS.ProcessEnv = { ...env, NODE_EXTRA_CA_CERTS: env[SAVED_CA_CERTS_VARIABLE] };
  delete restored[SAVED_CA_CERTS_VARIABLE];
  return restored;
}
