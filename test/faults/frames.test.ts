import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { encodeFrame, FrameDecoder, MAX_FRAME_BYTES } from '../../src/protocol/framing.js';
import { PROTOCOL_VERSION } from '../../src/protocol/messages.js';
import { askStatus, rawClient, startServer, type TestServer } from './server-process.js';

/**
 * Issue 18, case 5: frame decoding was quadratic (a Buffer.concat per chunk): 64 MiB took 27 s of the
 * server's CPU and held every other request meanwhile. The decoder's cost is counted in bytes copied
 * (the old one copied the frame about 500 times over); a real server takes a 64 MiB message while
 * others are answered, and refuses one over the limit without harming its neighbours.
 */
describe('the frame decoder every connection uses', () => {
  it('decodes a 64 MiB frame copying each byte once, however it is chunked', () => {
    const text = 'w'.repeat(64 * 1024 * 1024);
    const frame = encodeFrame({ stderr: text });
    const concat = vi.spyOn(Buffer, 'concat');
    try {
      const received: Array<{ stderr: string }> = [];
      const decoder = new FrameDecoder(
        (message) => received.push(message as { stderr: string }),
        (error) => {
          throw error;
        },
      );
      for (let offset = 0; offset < frame.length; offset += 64 * 1024)
        decoder.push(frame.subarray(offset, offset + 64 * 1024));
      expect(received).toHaveLength(1);
      expect(received[0]!.stderr.length).toBe(text.length);
      const copied = concat.mock.results.reduce((sum, result) => sum + (result.value as Buffer).length, 0);
      // Joining on every chunk copied about 1024 / 2 times the frame.
      expect(copied).toBeLessThanOrEqual(frame.length);
    } finally {
      concat.mockRestore();
    }
  });
});

describe('large frames at a real server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers a 64 MiB message, and a small request sent while it streams in', async () => {
    const big = await rawClient(server.socketPath);
    const frame = encodeFrame({ v: PROTOCOL_VERSION, type: 'status', padding: 'p'.repeat(64 * 1024 * 1024) });
    const piece = 64 * 1024;
    let answeredMidway = false;
    for (let offset = 0; offset < frame.length; offset += piece) {
      if (!big.socket.write(frame.subarray(offset, offset + piece)))
        await new Promise((resolve) => big.socket.once('drain', resolve));
      if (!answeredMidway && offset >= frame.length / 2) {
        expect((await askStatus(server.socketPath))?.type).toBe('data');
        answeredMidway = true;
      }
    }
    expect(answeredMidway).toBe(true);
    expect((await big.next())?.type).toBe('data');
    big.socket.destroy();
  });

  it('refuses a message over the limit from its header, closes that connection only, and keeps answering', async () => {
    const neighbour = await rawClient(server.socketPath);
    const offender = await rawClient(server.socketPath);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(MAX_FRAME_BYTES + 1);
    offender.socket.write(header);
    offender.socket.write(Buffer.alloc(1024 * 1024, 0x20));
    const refusal = await offender.next();
    expect(refusal).toEqual({
      type: 'error',
      message: `unreadable message: frame of ${MAX_FRAME_BYTES + 1} bytes exceeds the ${MAX_FRAME_BYTES}-byte limit`,
    });
    await offender.closed;
    neighbour.socket.write(encodeFrame({ v: PROTOCOL_VERSION, type: 'status' }));
    expect((await neighbour.next())?.type).toBe('data');
    neighbour.socket.destroy();
    expect((await askStatus(server.socketPath))?.type).toBe('data');
  });
});
