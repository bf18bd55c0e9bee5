import type { ClientRequest } from 'node:http';

/**
 * Cuts off a request whose socket is still connecting after `connectTimeoutMs` (ETIMEDOUT, which
 * classifyNetworkError calls a timeout). A socket reused from the agent's pool is connected already and
 * is left alone: the operation's own bound covers what follows.
 */
export function boundConnect(request: ClientRequest, connectTimeoutMs: number): void {
  request.on('socket', (socket) => {
    if (!socket.connecting) return;
    const timer = setTimeout(
      () =>
        request.destroy(Object.assign(new Error(`no connection within ${connectTimeoutMs} ms`), { code: 'ETIMEDOUT' })),
      connectTimeoutMs,
    );
    const clear = (): void => clearTimeout(timer);
    socket.once('connect', clear);
    socket.once('secureConnect', clear);
    socket.once('close', clear);
  });
}

/**
 * How long a pooled connection may sit idle before the agent closes it. Below the shortest common
 * server keep-alive (Apache's 5 s; nginx 75 s): a server closing it first races the next request on it.
 */
export const IDLE_SOCKET_MS = 4_000;
