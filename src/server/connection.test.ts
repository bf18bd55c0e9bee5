import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { encodeFrame, FrameDecoder } from '../protocol/framing.js';
import { PROTOCOL_VERSION, type ClientMessage, type ServerMessage } from '../protocol/messages.js';
import { Connections } from './connection.js';
import type { Conversation } from './conversation.js';
import type { Exchange } from './exchange.js';
import { Logger } from './logger.js';

/** A client's side as the server sees it: what the server writes is decoded into `replies`. */
class FakeConversation extends EventEmitter implements Conversation {
  destroyed = false;
  ended = false;
  readonly replies: ServerMessage[] = [];
  private readonly decoder = new FrameDecoder(
    (message) => this.replies.push(message as ServerMessage),
    (error) => {
      throw error;
    },
  );

  send(message: unknown): void {
    this.emit('data', encodeFrame(message));
  }

  write(bytes: Uint8Array): boolean {
    this.decoder.push(Buffer.from(bytes));
    return true;
  }

  end(): void {
    this.ended = true;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit('close');
  }
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Connections', () => {
  let root: string;
  let events: string[];
  let open: number;
  let dispatch: (message: ClientMessage, exchange: Exchange) => Promise<void>;
  let connections: Connections;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'hoard-connection-'));
    events = [];
    open = 0;
    dispatch = async (message, exchange) => {
      events.push(`dispatch ${message.type}`);
      exchange.reply({ type: 'run', store: true });
      const next = await exchange.next(1000);
      events.push(`next ${next?.type ?? 'none'}`);
      exchange.reply({ type: 'stored', stored: true });
    };
    connections = new Connections({
      dispatch: (message, exchange) => dispatch(message, exchange),
      subscribe: () => events.push('subscribe'),
      onVersionMismatch: (version) => events.push(`mismatch ${version}`),
      onActivity: () => events.push('activity'),
      onConversation: () => {
        open += 1;
        return () => {
          open -= 1;
        };
      },
      log: new Logger('error', { file: join(root, 'server.log'), errorLog: join(root, 'error.log') }),
    });
  });

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('dispatches the first message and queues the next for its exchange, counting the conversation while it lasts', async () => {
    const client = new FakeConversation();
    connections.accept(client);
    client.send({ v: PROTOCOL_VERSION, type: 'compile', cwd: '/w', argv: ['cc'], env: {} });
    // Sent before the handler asks for it: queued, not lost.
    client.send({ v: PROTOCOL_VERSION, type: 'store', exitCode: 0, stdout: '', stderr: '', durationMs: 1 });
    expect(open).toBe(1);
    await tick();
    expect(events).toEqual(['activity', 'dispatch compile', 'activity', 'next store']);
    expect(client.replies.map((reply) => reply.type)).toEqual(['run', 'stored']);
    expect(open).toBe(0);
  });

  it('ends the exchange with nothing when the client hangs up', async () => {
    const client = new FakeConversation();
    connections.accept(client);
    client.send({ v: PROTOCOL_VERSION, type: 'compile', cwd: '/w', argv: ['cc'], env: {} });
    client.destroy();
    await tick();
    expect(events).toContain('next none');
    expect(open).toBe(0);
  });

  it('answers another protocol version with version-mismatch and reports it', () => {
    const client = new FakeConversation();
    connections.accept(client);
    client.send({ v: PROTOCOL_VERSION + 1, type: 'stats' });
    expect(client.replies).toEqual([{ type: 'version-mismatch', serverVersion: PROTOCOL_VERSION }]);
    expect(client.ended).toBe(true);
    expect(events).toEqual(['activity', `mismatch ${PROTOCOL_VERSION + 1}`]);
  });

  it('answers something that is not a hoard message with a one-line error', () => {
    const client = new FakeConversation();
    connections.accept(client);
    client.send({ hello: 'world' });
    expect(client.replies).toEqual([{ type: 'error', message: expect.stringMatching(/^not a hoard message \(v: /) }]);
    expect(client.ended).toBe(true);
    expect(open).toBe(0);
  });

  it('answers a frame that is not JSON and drops the connection, once the client had time to read why', () => {
    vi.useFakeTimers();
    try {
      const client = new FakeConversation();
      connections.accept(client);
      const body = Buffer.from('{nope');
      const header = Buffer.alloc(4);
      header.writeUInt32BE(body.length);
      client.emit('data', Buffer.concat([header, body]));
      expect(client.replies).toEqual([
        { type: 'error', message: expect.stringMatching(/^unreadable message: frame is not JSON/) },
      ]);
      // Ended at once (a reset would lose the refusal), cut a second later.
      expect(client.ended).toBe(true);
      expect(client.destroyed).toBe(false);
      vi.advanceTimersByTime(1000);
      expect(client.destroyed).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses a subscription that does not come over the socket (a lane)', () => {
    const client = new FakeConversation();
    connections.accept(client);
    client.send({ v: PROTOCOL_VERSION, type: 'subscribe' });
    expect(client.replies).toEqual([{ type: 'error', message: 'subscribe over the socket' }]);
    expect(events).not.toContain('subscribe');
  });

  it('replies with the error of a failed handler, and the conversation ends', async () => {
    dispatch = async () => {
      throw new Error('disk on fire');
    };
    const client = new FakeConversation();
    connections.accept(client);
    client.send({ v: PROTOCOL_VERSION, type: 'stats' });
    await tick();
    expect(client.replies).toEqual([{ type: 'error', message: 'disk on fire' }]);
    expect(open).toBe(0);
  });

  it('closes every open conversation on destroyAll', () => {
    const clients = [new FakeConversation(), new FakeConversation()];
    for (const client of clients) connections.accept(client);
    connections.destroyAll();
    expect(clients.map((client) => client.destroyed)).toEqual([true, true]);
  });
});
