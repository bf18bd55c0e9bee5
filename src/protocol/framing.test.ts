import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder, FrameTooLarge, MAX_FRAME_BYTES } from './framing.js';

describe('framing', () => {
  it('decodes messages split and joined across chunks', () => {
    const received: unknown[] = [];
    const decoder = new FrameDecoder(
      (message) => received.push(message),
      (error) => {
        throw error;
      },
    );
    const bytes = Buffer.concat([encodeFrame({ a: 1 }), encodeFrame({ b: 'ü'.repeat(1000) }), encodeFrame([3])]);
    for (let offset = 0; offset < bytes.length; offset += 7) decoder.push(bytes.subarray(offset, offset + 7));
    expect(received).toEqual([{ a: 1 }, { b: 'ü'.repeat(1000) }, [3]]);
  });

  it('reports a frame that is not JSON', () => {
    const errors: Error[] = [];
    const decoder = new FrameDecoder(
      () => undefined,
      (error) => errors.push(error),
    );
    const body = Buffer.from('not json');
    const header = Buffer.alloc(4);
    header.writeUInt32BE(body.length);
    decoder.push(Buffer.concat([header, body]));
    expect(errors[0]?.message).toMatch(/not JSON/);
  });

  it('refuses an absurd frame length instead of buffering it', () => {
    const errors: Error[] = [];
    const decoder = new FrameDecoder(
      () => undefined,
      (error) => errors.push(error),
    );
    decoder.push(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    expect(errors[0]?.message).toMatch(/exceeds/);
  });

  it('decodes many small frames in one chunk, and keeps the start of the next', () => {
    const received: unknown[] = [];
    const decoder = new FrameDecoder(
      (message) => received.push(message),
      (error) => {
        throw error;
      },
    );
    const frames = Array.from({ length: 1000 }, (_, index) => encodeFrame({ index }));
    const bytes = Buffer.concat(frames);
    decoder.push(bytes.subarray(0, bytes.length - 3));
    expect(received).toHaveLength(999);
    decoder.push(bytes.subarray(bytes.length - 3));
    expect(received[999]).toEqual({ index: 999 });
  });

  it('refuses a frame over the limit from its header, before its body, and ignores what follows', () => {
    const errors: Error[] = [];
    const received: unknown[] = [];
    const decoder = new FrameDecoder(
      (message) => received.push(message),
      (error) => errors.push(error),
      1024,
    );
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1025);
    decoder.push(header);
    expect(errors[0]).toBeInstanceOf(FrameTooLarge);
    expect(errors[0]!.message).toBe('frame of 1025 bytes exceeds the 1024-byte limit');
    decoder.push(encodeFrame({ after: true }));
    expect(received).toEqual([]);
    expect(errors).toHaveLength(1);
  });

  it('will not encode a message over the limit, and the limit fits tens of MiB of compiler output in base64', () => {
    expect(() => encodeFrame({ text: 'x'.repeat(2000) }, 1024)).toThrow(FrameTooLarge);
    expect(encodeFrame({ text: 'x'.repeat(1000) }, 1024).length).toBeLessThanOrEqual(1028);
    expect(MAX_FRAME_BYTES).toBeGreaterThanOrEqual((64 * 1024 * 1024 * 4) / 3);
  });
});
