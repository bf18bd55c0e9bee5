import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder } from './framing.js';

describe('framing', () => {
  it('decodes messages split and joined across chunks', () => {
    const received: unknown[] = [];
    const decoder = new FrameDecoder((message) => received.push(message), (error) => { throw error; });
    const bytes = Buffer.concat([encodeFrame({ a: 1 }), encodeFrame({ b: 'ü'.repeat(1000) }), encodeFrame([3])]);
    for (let offset = 0; offset < bytes.length; offset += 7) decoder.push(bytes.subarray(offset, offset + 7));
    expect(received).toEqual([{ a: 1 }, { b: 'ü'.repeat(1000) }, [3]]);
  });

  it('reports a frame that is not JSON', () => {
    const errors: Error[] = [];
    const decoder = new FrameDecoder(() => undefined, (error) => errors.push(error));
    const body = Buffer.from('not json');
    const header = Buffer.alloc(4);
    header.writeUInt32BE(body.length);
    decoder.push(Buffer.concat([header, body]));
    expect(errors[0]?.message).toMatch(/not JSON/);
  });

  it('refuses an absurd frame length instead of buffering it', () => {
    const errors: Error[] = [];
    const decoder = new FrameDecoder(() => undefined, (error) => errors.push(error));
    decoder.push(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    expect(errors[0]?.message).toMatch(/exceeds/);
  });
});
