import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Text } from 'ink';
import { cleanup, render } from 'ink-testing-library';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { attachDecoder, encodeFrame } from '../protocol/framing.js';
import type { LiveUpdate } from '../protocol/messages.js';
import { snapshot } from './test-factory.js';
import { useLiveStats, type LiveStatsSource } from './use-live-stats.js';

function Probe({ source }: { source: LiveStatsSource }) {
  const { view } = useLiveStats(source);
  return <Text>{`${view.connection} hits=${view.snapshot?.counters.hits ?? '-'} note=${view.note ?? ''}`}</Text>;
}

/** A stand-in server on a real Unix socket that answers `subscribe` with live updates. */
function liveServer(path: string, hits: number): Promise<{ server: Server; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    attachDecoder(
      socket,
      (message) => {
        if ((message as { type: string }).type !== 'subscribe') return;
        const update: LiveUpdate = {
          type: 'live',
          snapshot: snapshot([{ id: 'w', root: '/src/w', hits }]),
          recent: [],
          history: [],
          config: { file: '/c.toml' },
        };
        socket.write(encodeFrame(update));
      },
      () => undefined,
    );
  });
  return new Promise((resolve) => server.listen(path, () => resolve({ server, sockets })));
}

describe('useLiveStats', () => {
  let dir: string;
  let socketPath: string;
  let source: LiveStatsSource;
  let savedReads: number;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hoard-live-'));
    socketPath = join(dir, 'server.sock');
    savedReads = 0;
    source = {
      socketPath,
      loadSaved: async () => {
        savedReads += 1;
        return {
          snapshot: snapshot([{ id: 'w', root: '/src/w', hits: 2 }], false),
          history: [],
          config: { file: '/c.toml' },
        };
      },
      zero: async () => undefined,
    };
  });

  afterEach(() => {
    cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the saved statistics without a server, goes live when one comes, and back when it goes', async () => {
    const { lastFrame } = render(<Probe source={source} />);
    await vi.waitFor(() => expect(lastFrame()).toBe('not-running hits=2 note='));
    const { server, sockets } = await liveServer(socketPath, 5);
    await vi.waitFor(() => expect(lastFrame()).toBe('live hits=5 note='), { timeout: 5000 });
    const readsWhileLive = savedReads;
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await vi.waitFor(() => expect(lastFrame()).toBe('not-running hits=2 note='), { timeout: 5000 });
    // Between servers the saved files are read once, not at every attempt to reconnect.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(savedReads).toBe(readsWhileLive + 1);
  });

  it('says so when the server speaks another protocol', async () => {
    const server = createServer((socket) => {
      socket.on('error', () => undefined);
      attachDecoder(
        socket,
        () => socket.end(encodeFrame({ type: 'version-mismatch', serverVersion: 1 })),
        () => undefined,
      );
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    const { lastFrame } = render(<Probe source={source} />);
    await vi.waitFor(() => expect(lastFrame()).toContain('note=the running server speaks protocol 1'), {
      timeout: 5000,
    });
    server.close();
  });
});
