import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, type ClientMessage, type ServerMessage } from '../protocol/messages.js';
import { emptyCounters } from '../stats/counters.js';
import type { StatsSnapshot } from '../stats/snapshot.js';
import { dispatchRequest, type RequestHandlers } from './dispatch.js';
import type { Exchange } from './exchange.js';

function fakeExchange(): Exchange & { replies: ServerMessage[] } {
  const replies: ServerMessage[] = [];
  return { replies, reply: (message) => replies.push(message), next: async () => undefined };
}

const snapshot: StatsSnapshot = {
  counters: emptyCounters(),
  worktrees: {},
  since: '2026-01-01T00:00:00.000Z',
  cache: { dir: '/cache', sizeBytes: 0, limitBytes: 1, entries: 0 },
  server: { running: true },
};

function handlers(calls: string[]): RequestHandlers {
  return {
    compile: async (request, exchange) => {
      calls.push(`compile ${request.argv.join(' ')}`);
      exchange.reply({ type: 'run', store: false });
    },
    stats: () => {
      calls.push('stats');
      return snapshot;
    },
    'zero-stats': async () => {
      calls.push('zero-stats');
      return snapshot;
    },
    status: () => {
      throw new Error('not asked');
    },
    shutdown: () => {
      calls.push('shutdown');
      return { stopping: true };
    },
    'why-history': () => {
      calls.push('why-history');
      return { format: 1, units: [], keys: {} };
    },
  };
}

describe('dispatchRequest', () => {
  it('gives a compile request its exchange', async () => {
    const calls: string[] = [];
    const exchange = fakeExchange();
    await dispatchRequest(
      handlers(calls),
      { v: PROTOCOL_VERSION, type: 'compile', cwd: '/w', argv: ['rustc', '-vV'], env: {} },
      exchange,
    );
    expect(calls).toEqual(['compile rustc -vV']);
    expect(exchange.replies).toEqual([{ type: 'run', store: false }]);
  });

  it('answers a data request with what its handler returns, sync or async', async () => {
    const calls: string[] = [];
    for (const type of ['stats', 'zero-stats', 'shutdown'] as const) {
      const exchange = fakeExchange();
      await dispatchRequest(handlers(calls), { v: PROTOCOL_VERSION, type }, exchange);
      expect(exchange.replies).toEqual([{ type: 'data', data: type === 'shutdown' ? { stopping: true } : snapshot }]);
    }
    expect(calls).toEqual(['stats', 'zero-stats', 'shutdown']);
  });

  it('answers a message that cannot open a conversation with an error naming its type', async () => {
    const calls: string[] = [];
    for (const message of [
      { v: PROTOCOL_VERSION, type: 'store', exitCode: 0, stdout: '', stderr: '', durationMs: 1 },
      { v: PROTOCOL_VERSION, type: 'launch-missiles' } as unknown as ClientMessage,
    ] satisfies ClientMessage[]) {
      const exchange = fakeExchange();
      await dispatchRequest(handlers(calls), message, exchange);
      expect(exchange.replies).toEqual([{ type: 'error', message: `unknown request type '${message.type}'` }]);
    }
    expect(calls).toEqual([]);
  });

  it('lets a handler failure reach the caller (the connection logs it and replies with an error)', async () => {
    await expect(
      dispatchRequest(handlers([]), { v: PROTOCOL_VERSION, type: 'status' }, fakeExchange()),
    ).rejects.toThrow('not asked');
  });
});
