/** Frames are a 4-byte big-endian length followed by that many bytes of UTF-8 JSON. */
export const MAX_FRAME_BYTES = 256 * 1024 * 1024;

export function encodeFrame(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length, 0);
  return Buffer.concat([header, body]);
}

/**
 * Splits a byte stream into decoded messages. A frame that is too large or not JSON is a protocol
 * error: the caller gets it through onError and should drop the connection.
 */
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  constructor(
    private readonly onMessage: (message: unknown) => void,
    private readonly onError: (error: Error) => void,
  ) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 4) {
      const length = this.pending.readUInt32BE(0);
      if (length > MAX_FRAME_BYTES) {
        this.pending = Buffer.alloc(0);
        this.onError(new Error(`frame of ${length} bytes exceeds the ${MAX_FRAME_BYTES}-byte limit`));
        return;
      }
      if (this.pending.length < 4 + length) return;
      const body = this.pending.subarray(4, 4 + length);
      this.pending = this.pending.subarray(4 + length);
      let message: unknown;
      try {
        message = JSON.parse(body.toString('utf8'));
      } catch (error) {
        this.onError(new Error(`frame is not JSON: ${(error as Error).message}`));
        return;
      }
      this.onMessage(message);
    }
  }
}

export function attachDecoder(
  socket: { on(event: 'data', listener: (chunk: Buffer) => void): unknown },
  onMessage: (message: unknown) => void,
  onError: (error: Error) => void,
): void {
  const decoder = new FrameDecoder(onMessage, onError);
  socket.on('data', (chunk: Buffer) => decoder.push(chunk));
}
