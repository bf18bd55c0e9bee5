/**
 * Frames are a 4-byte big-endian length followed by that many bytes of UTF-8 JSON.
 *
 * The limit bounds what one connection can make the server hold, and must still fit what a compiler
 * legitimately says: a `store` carries the compile's stdout and stderr in base64 (4 bytes for every 3),
 * so 128 MiB holds 96 MiB of compiler output, several times what the noisiest builds print. Output
 * beyond it is shown to the user as usual and not cached (the wrapper does not send it).
 */
export const MAX_FRAME_BYTES = 128 * 1024 * 1024;

/** A message too large for one frame: the sender keeps it, the receiver refuses it. */
export class FrameTooLarge extends Error {
  override name = 'FrameTooLarge';
}

export function encodeFrame(message: unknown, limit = MAX_FRAME_BYTES): Buffer {
  const text = JSON.stringify(message);
  const length = Buffer.byteLength(text);
  if (length > limit) throw new FrameTooLarge(`a message of ${length} bytes exceeds the ${limit}-byte frame limit`);
  const frame = Buffer.allocUnsafe(4 + length);
  frame.writeUInt32BE(length, 0);
  frame.write(text, 4, 'utf8');
  return frame;
}

/**
 * Splits a byte stream into decoded messages, in time linear in the bytes: chunks are kept as they
 * come and joined once a frame is complete (its length says when), so each byte is copied once, plus
 * the start of the next frame that came in the same chunk. Joining on every chunk instead made a
 * 64 MiB message cost tens of seconds of CPU.
 *
 * A frame that is too large (refused from its length, before its body is read) or not JSON is a
 * protocol error: the caller gets it through onError and should drop the connection; the decoder
 * ignores anything pushed after it.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes needed before anything can be decoded: a header, or the frame whose header is in. */
  private needed = 4;
  private failed = false;

  constructor(
    private readonly onMessage: (message: unknown) => void,
    private readonly onError: (error: Error) => void,
    private readonly limit = MAX_FRAME_BYTES,
  ) {}

  push(chunk: Buffer): void {
    if (this.failed) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered < this.needed) return;
    const bytes = this.chunks.length === 1 ? chunk : Buffer.concat(this.chunks, this.buffered);
    let offset = 0;
    this.needed = 4;
    while (bytes.length - offset >= 4) {
      const length = bytes.readUInt32BE(offset);
      if (length > this.limit) {
        this.fail(new FrameTooLarge(`frame of ${length} bytes exceeds the ${this.limit}-byte limit`));
        return;
      }
      if (bytes.length - offset < 4 + length) {
        this.needed = 4 + length;
        break;
      }
      let message: unknown;
      try {
        message = JSON.parse(bytes.toString('utf8', offset + 4, offset + 4 + length));
      } catch (error) {
        this.fail(new Error(`frame is not JSON: ${(error as Error).message}`));
        return;
      }
      offset += 4 + length;
      this.onMessage(message);
      if (this.failed) return;
    }
    this.chunks = offset < bytes.length ? [bytes.subarray(offset)] : [];
    this.buffered = bytes.length - offset;
  }

  private fail(error: Error): void {
    this.failed = true;
    this.chunks = [];
    this.onError(error);
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
