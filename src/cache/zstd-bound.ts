/*
 * How many bytes a zstd frame can decompress to at most, read from its block headers without
 * decompressing (RFC 8878, section 3.1.1): a raw block holds its bytes, an RLE block says how many times
 * its one byte repeats, and a compressed block regenerates at most Block_Maximum_Size (128 KiB, or less
 * with a smaller window). The decoder hoard uses streams into a growing buffer, so for a frame that is
 * not single-segment this bound is what keeps a small object from decompressing into gigabytes: an
 * object whose bound exceeds what its header declares is refused before it is decompressed. A
 * single-segment frame's window is its declared content size, which zstd's buffer is then limited to:
 * it refuses such a frame as soon as it regenerates more (withContentSize writes hoard's frames so).
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
  /** Single_Segment_Flag: the window is the declared content size, and zstd holds the frame to it. */
  singleSegment: boolean;
}

/**
 * The bound of `payload`, which must be exactly one zstd frame (hoard writes one; anything else, a
 * skippable frame, a second frame or trailing bytes, is refused). Stops counting once past `limit`,
 * except in a single-segment frame, whose size zstd enforces: its structure is always read whole.
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
    if (maxBytes > limit && !singleSegment) return { maxBytes, declaredBytes, singleSegment: false };
    if (last) break;
  }
  offset += checksum * 4;
  if (offset !== bytes.length)
    throw new MalformedFrame(offset > bytes.length ? 'a zstd frame cut short' : 'bytes after the zstd frame');
  return { maxBytes, declaredBytes, singleSegment: singleSegment === 1 };
}

/** zstd's decoders refuse a window over 2^27 bytes unless told otherwise: larger bodies keep their frame as it is. */
const SINGLE_SEGMENT_MAX_BYTES = 2 ** 27;

/**
 * `frame` as a single-segment frame declaring its content size (4 bytes), when the encoder wrote a
 * windowed frame without it (the addon streams, so it never knows the size in advance); the blocks are
 * unchanged, and decode alike since no match reaches further back than the content before it. zstd
 * holds such a frame to its declared size (see the top of this file), so no block bound is needed for
 * it, and levels that split blocks (16 and up), which that bound takes for bombs, can be read. A header
 * not laid out as expected, or a body over SINGLE_SEGMENT_MAX_BYTES, is returned as it is.
 */
export function withContentSize(frame: Buffer, size: number): Buffer {
  if (frame.length < 6 || frame.readUInt32LE(0) !== FRAME_MAGIC || size > SINGLE_SEGMENT_MAX_BYTES) return frame;
  const descriptor = frame[4]!;
  if (descriptor >> 5 !== 0) return frame;
  const dictionaryIdBytes = [0, 1, 2, 4][descriptor & 3]!;
  if (6 + dictionaryIdBytes > frame.length) return frame;
  const contentSize = Buffer.alloc(4);
  contentSize.writeUInt32LE(size);
  return Buffer.concat([
    frame.subarray(0, 4),
    Buffer.from([descriptor | (2 << 6) | (1 << 5)]),
    // Without the window descriptor (byte 5): a single-segment frame has none.
    frame.subarray(6, 6 + dictionaryIdBytes),
    contentSize,
    frame.subarray(6 + dictionaryIdBytes),
  ]);
}
