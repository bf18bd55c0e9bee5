/**
 * bin/hoard hides NODE_EXTRA_CA_CERTS from Node (reading it costs ~60 ms at every start and the wrapper
 * never does TLS) under this name; the compiler and the server get it back.
 */
export const SAVED_CA_CERTS_VARIABLE = 'HOARD_NODE_EXTRA_CA_CERTS';

export function restoredEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (!(SAVED_CA_CERTS_VARIABLE in env)) return env;
  const restored: NodeJS.ProcessEnv = { ...env, NODE_EXTRA_CA_CERTS: env[SAVED_CA_CERTS_VARIABLE] };
  delete restored[SAVED_CA_CERTS_VARIABLE];
  return restored;
}
