/*
 * How many bytes a zstd frame can decompress to at most, read from its block headers without
 * decompressing (RFC 8878, section 3.1.1): a raw block holds its bytes, an RLE block says how many times
 * its one byte repeats, and a compressed block regenerates at most Block_Maximum_Size (128 KiB, or less
 * with a smaller window). The decoder hoard uses has no output limit, so this bound is what keeps a
 * small object from decompressing into gigabytes: an object whose bound exceeds what its header
 * declares is refused before it is decompressed.
 */

const FRAME_MAGIC = 0xfd2fb528;
const BLOCK_MAXIMUM_BYTES = 128 * 1024;

/** Why a payload is not one well-formed zstd frame. */
export class MalformedFrame extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedFrame';
  }
}

export interface FrameBound {
  /** The most the frame can decompress to. */
  maxBytes: number;
  /** What the frame header declares (Frame_Content_Size), when it does. */
  declaredBytes: number | undefined;
}

/**
 * The bound of `payload`, which must be exactly one zstd frame (hoard writes one; anything else, a
 * skippable frame, a second frame or trailing bytes, is refused). Stops counting once past `limit`.
 */
export function zstdFrameBound(payload: Uint8Array, limit = Number.MAX_SAFE_INTEGER): FrameBound {
  const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if (bytes.length < 6 || bytes.readUInt32LE(0) !== FRAME_MAGIC) throw new MalformedFrame('not a zstd frame');
  const descriptor = bytes[4]!;
  const contentSizeFlag = descriptor >> 6;
  const singleSegment = (descriptor >> 5) & 1;
  if ((descriptor >> 3) & 1) throw new MalformedFrame('a zstd frame header with its reserved bit set');
  const checksum = (descriptor >> 2) & 1;
  const dictionaryIdBytes = [0, 1, 2, 4][descriptor & 3]!;
  const contentSizeBytes = contentSizeFlag === 0 ? singleSegment : [0, 2, 4, 8][contentSizeFlag]!;
  let offset = 5;
  let windowBytes = Number.POSITIVE_INFINITY;
  if (!singleSegment) {
    const window = bytes[offset]!;
    const exponent = window >> 3;
    const base = 2 ** (10 + exponent);
    windowBytes = base + (base / 8) * (window & 7);
    offset += 1;
  }
  offset += dictionaryIdBytes;
  if (offset + contentSizeBytes > bytes.length) throw new MalformedFrame('a zstd frame header cut short');
  let declaredBytes: number | undefined;
  if (contentSizeBytes === 1) declaredBytes = bytes[offset]!;
  else if (contentSizeBytes === 2) declaredBytes = bytes.readUInt16LE(offset) + 256;
  else if (contentSizeBytes === 4) declaredBytes = bytes.readUInt32LE(offset);
  else if (contentSizeBytes === 8) declaredBytes = Number(bytes.readBigUInt64LE(offset));
  offset += contentSizeBytes;
  if (singleSegment) windowBytes = declaredBytes ?? 0;
  const blockMaximum = Math.min(windowBytes, BLOCK_MAXIMUM_BYTES);
  let maxBytes = 0;
  for (;;) {
    if (offset + 3 > bytes.length) throw new MalformedFrame('a zstd block header cut short');
    const header = bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16);
    offset += 3;
    const last = header & 1;
    const type = (header >> 1) & 3;
    const size = header >>> 3;
    if (type === 3) throw new MalformedFrame('a zstd block of the reserved type');
    if (size > BLOCK_MAXIMUM_BYTES) throw new MalformedFrame('a zstd block larger than a block may be');
    if (type === 0) {
      maxBytes += size;
      offset += size;
    } else if (type === 1) {
      maxBytes += size;
      offset += 1;
    } else {
      maxBytes += blockMaximum;
      offset += size;
    }
    if (offset > bytes.length) throw new MalformedFrame('a zstd block cut short');
    if (maxBytes > limit) return { maxBytes, declaredBytes };
    if (last) break;
  }
  offset += checksum * 4;
  if (offset !== bytes.length)
    throw new MalformedFrame(offset > bytes.length ? 'a zstd frame cut short' : 'bytes after the zstd frame');
  return { maxBytes, declaredBytes };
}

/**
 * `frame` with its content size (Frame_Content_Size, 4 bytes) declared in its header, when the encoder
 * left it out (the addon streams, so it never knows the size in advance); the blocks are unchanged. A
 * frame that declares its size is decompressed into a buffer of exactly that size, and one that
 * regenerates more or less is refused by zstd itself ("corruption detected"), so no block bound is
 * needed for it. A header not laid out as expected is returned as it is.
 */
export function withContentSize(frame: Buffer, size: number): Buffer {
  if (frame.length < 6 || frame.readUInt32LE(0) !== FRAME_MAGIC || size > 0xffffffff) return frame;
  const descriptor = frame[4]!;
  const singleSegment = (descriptor >> 5) & 1;
  if (descriptor >> 6 !== 0 || singleSegment) return frame;
  const at = 5 + 1 + [0, 1, 2, 4][descriptor & 3]!;
  if (at > frame.length) return frame;
  const contentSize = Buffer.alloc(4);
  contentSize.writeUInt32LE(size);
  return Buffer.concat([
    frame.subarray(0, 4),
    Buffer.from([descriptor | (2 << 6)]),
    frame.subarray(5, at),
    contentSize,
    frame.subarray(at),
  ]);
}
