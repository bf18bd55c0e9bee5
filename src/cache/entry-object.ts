import { createHash } from 'node:crypto';
import { entrySchema, refusal, type Entry } from './entry.js';
import { type FrameBound, MalformedFrame, withContentSize, zstdFrameBound } from './zstd-bound.js';

/*
 * Objects that travel between cache levels: one object per entry (its description and every output's
 * bytes) or per manifest, compressed with zstd and carrying a sha256 of the key and of the bytes as
 * stored, checked on every read. Layout:
 *
 *   0   8 bytes  "HOARDOBJ"
 *   8   1 byte   layout version (2)
 *   9   1 byte   kind: 'e' entry, 'm' manifest
 *   10  1 byte   compression: 0 none, 1 zstd
 *   11  1 byte   0
 *   12  4 bytes  body length, uncompressed (big-endian)
 *   16  32 bytes sha256("hoard-object-2", kind, key, bytes 8–15, payload)
 *   48  …        payload: the body, compressed as byte 10 says
 *
 * The digest covers the payload as stored, not the body it decompresses to: decompression is a
 * function of the payload, so checking the stored bytes checks the body, and it hashes about a
 * quarter of the bytes, while the payload decompresses in the thread pool. Layout 1 (a digest of the
 * body, "hoard-object-1") is still read, so objects written before stay hits.
 *
 * An entry's body: a 4-byte length, the entry's description (entry.json without local-only fields),
 * then each output's bytes in order. A manifest's body: its JSON text.
 */

const MAGIC = Buffer.from('HOARDOBJ', 'latin1');
const LAYOUT_VERSION = 2;
/** Layouts above LAYOUT_VERSION up to this one are taken for a newer hoard's objects. */
const NEWER_LAYOUTS_UP_TO = 15;
/** Objects of this layout carry a digest of the decompressed body. */
const BODY_DIGEST_LAYOUT = 1;
const HEADER_BYTES = 48;
/** Larger bodies are refused before they are decompressed: no compile produces them, a zstd bomb might. */
export const MAX_OBJECT_BODY_BYTES = 2 ** 30;
/**
 * How far a windowed zstd frame's bound (zstd-bound.ts) may exceed the body length its header declares:
 * a compressed block is counted at the block maximum, and only the last block of such a frame hoard
 * wrote (level 3, before its frames were single-segment) regenerates less than that.
 */
const BOUND_SLACK_BYTES = 128 * 1024;

export type ObjectKind = 'e' | 'm';

/** An object that is not what its key says: a miss, counted, never restored. */
export class CorruptObject extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorruptObject';
  }
}

/**
 * An object of a layout newer than this hoard reads (written by a newer hoard sharing the remote): a
 * miss here, and not damage, so this hoard's uploads do not replace it.
 */
export class NewerObject extends Error {
  constructor(readonly layout: number) {
    super(`an object of layout ${layout}, newer than this hoard reads (${LAYOUT_VERSION}): upgrade hoard`);
    this.name = 'NewerObject';
  }
}

interface Zstd {
  compress(data: Buffer, level?: number): Promise<Buffer>;
  decompress(data: Buffer): Promise<Buffer>;
}

let zstd: Promise<Zstd> | undefined;

/**
 * Loaded when first needed: a server with no remote never loads the native addon. The addon's own
 * functions, not the package's index.js, which drops compress's level (1.2.2 compresses at zstd's
 * default whatever it is asked), so `compression_level` would change nothing.
 */
function loadZstd(): Promise<Zstd> {
  zstd ??= import('@mongodb-js/zstd/bindings.js').then(
    (module) => module as unknown as Zstd,
    (error: Error) => {
      throw new Error(
        `cannot load zstd (@mongodb-js/zstd): ${error.message.split('\n')[0]}. Reinstall hoard, or set compression_level = 0 and clear the remote.`,
      );
    },
  );
  return zstd;
}

/**
 * Loads zstd in the background, for a server that has remotes: its first remote hit then does not wait
 * for the addon to load (a failure is reported by the first encode or decode, as without this).
 */
export function loadCodecAhead(): void {
  loadZstd().catch(() => undefined);
}

/** Layout 2's digest: of the header's fields before it and of the payload as stored. */
function payloadDigest(kind: ObjectKind, key: string, fields: Uint8Array, payload: Uint8Array): Buffer {
  return createHash('sha256').update(`hoard-object-2\0${kind}\0${key}\0`).update(fields).update(payload).digest();
}

/** Layout 1's digest: of the decompressed body. */
function bodyDigest(kind: ObjectKind, key: string, body: Uint8Array): Buffer {
  return createHash('sha256').update(`hoard-object-1\0${kind}\0${key}\0`).update(body).digest();
}

/** Wraps a body as an object stored under `key`. Level 0 stores it uncompressed. */
export async function encodeObject(kind: ObjectKind, key: string, body: Buffer, level: number): Promise<Buffer> {
  if (body.length > MAX_OBJECT_BODY_BYTES)
    throw new Error(`an object of ${body.length} bytes is larger than a cache object may be`);
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header[8] = LAYOUT_VERSION;
  header[9] = kind.charCodeAt(0);
  header[10] = level > 0 ? 1 : 0;
  header.writeUInt32BE(body.length, 12);
  const payload = level > 0 ? withContentSize(await (await loadZstd()).compress(body, level), body.length) : body;
  payloadDigest(kind, key, header.subarray(8, 16), payload).copy(header, 16);
  return Buffer.concat([header, payload]);
}

/**
 * The body of an object read under `key`; throws CorruptObject when it is not exactly what was stored
 * there, NewerObject when a newer hoard wrote it.
 */
export async function decodeObject(kind: ObjectKind, key: string, value: Uint8Array): Promise<Buffer> {
  const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (bytes.length < HEADER_BYTES || !bytes.subarray(0, 8).equals(MAGIC))
    throw new CorruptObject('not a hoard cache object (truncated or foreign)');
  const layout = bytes[8]!;
  // A few layouts ahead are a newer hoard's; a byte far off is damage (a flipped high bit).
  if (layout > LAYOUT_VERSION && layout <= NEWER_LAYOUTS_UP_TO) throw new NewerObject(layout);
  if (layout !== LAYOUT_VERSION && layout !== BODY_DIGEST_LAYOUT)
    throw new CorruptObject(
      `an object of layout ${layout}, this hoard reads ${BODY_DIGEST_LAYOUT} and ${LAYOUT_VERSION}`,
    );
  if (bytes[9] !== kind.charCodeAt(0))
    throw new CorruptObject(`an object of kind '${String.fromCharCode(bytes[9]!)}' where '${kind}' belongs`);
  const length = bytes.readUInt32BE(12);
  if (length > MAX_OBJECT_BODY_BYTES)
    throw new CorruptObject(`declares ${length} bytes, more than a cache object may hold`);
  const payload = bytes.subarray(HEADER_BYTES);
  const recorded = bytes.subarray(16, HEADER_BYTES);
  const mismatch = () =>
    new CorruptObject('its content does not match its digest (corrupt, or stored under another key)');
  let body: Buffer;
  if (bytes[10] === 0) {
    if (layout === LAYOUT_VERSION && !payloadDigest(kind, key, bytes.subarray(8, 16), payload).equals(recorded))
      throw mismatch();
    body = payload;
  } else if (bytes[10] === 1) {
    checkBound(payload, length);
    // Outside the try: a zstd that cannot be loaded is this installation's problem, not the object's.
    const codec = await loadZstd();
    const decompressed = codec.decompress(payload).then(
      (result) => ({ result }),
      (error: Error) => ({ error }),
    );
    // Hashed here while the thread pool decompresses; the body is used only if the digest matches.
    if (layout === LAYOUT_VERSION && !payloadDigest(kind, key, bytes.subarray(8, 16), payload).equals(recorded))
      throw mismatch();
    const outcome = await decompressed;
    if ('error' in outcome) throw new CorruptObject(`does not decompress: ${outcome.error.message}`);
    body = outcome.result;
  } else throw new CorruptObject(`unknown compression ${bytes[10]}`);
  if (body.length !== length)
    throw new CorruptObject(`holds ${body.length} bytes, its header says ${length} (truncated?)`);
  if (layout === BODY_DIGEST_LAYOUT && !bodyDigest(kind, key, body).equals(recorded)) throw mismatch();
  return body;
}

/**
 * Refuses, before decompressing, a payload that is not one zstd frame, or that could decompress to more
 * than its header declares (a zstd bomb: a few kilobytes of RLE blocks regenerate gigabytes). A
 * single-segment frame (hoard writes them so: withContentSize) must declare the header's length, and
 * zstd holds it to that. Any other frame (older objects, a body over 128 MiB) is bounded by its block
 * headers, which count each compressed block at the block maximum: levels from 16 split blocks, so only
 * such frames of lower levels pass that bound, as hoard wrote them before.
 */
function checkBound(payload: Buffer, declared: number): void {
  let bound: FrameBound;
  try {
    bound = zstdFrameBound(payload, declared + BOUND_SLACK_BYTES);
  } catch (error) {
    if (error instanceof MalformedFrame) throw new CorruptObject(`does not decompress: ${error.message}`);
    throw error;
  }
  if (bound.declaredBytes !== undefined && bound.declaredBytes !== declared)
    throw new CorruptObject(`its zstd frame declares ${bound.declaredBytes} bytes, its header ${declared}`);
  if (!bound.singleSegment && bound.maxBytes > declared + BOUND_SLACK_BYTES)
    throw new CorruptObject(`could decompress to more than the ${declared} bytes its header declares (a zstd bomb?)`);
}

/** What an entry object carries: the description and each output's bytes, in order. */
export interface EntryContent {
  entry: Entry;
  blobs: Buffer[];
}

/** An entry's description as it travels: without what only the local disk knows. */
function travelling(entry: Entry): Entry {
  return { ...entry, outputs: entry.outputs.map(({ identity: _identity, ...output }) => output) };
}

export function entryBody(content: EntryContent): Buffer {
  const description = Buffer.from(JSON.stringify(travelling(content.entry)), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(description.length, 0);
  return Buffer.concat([length, description, ...content.blobs]);
}

/** Parses an entry's body (already checked against its digest) and checks the entry's own seal. */
export function parseEntryBody(key: string, body: Buffer): EntryContent {
  if (body.length < 4) throw new CorruptObject('an entry body without a description');
  const length = body.readUInt32BE(0);
  if (4 + length > body.length) throw new CorruptObject('an entry description longer than its object');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.subarray(4, 4 + length).toString('utf8'));
  } catch {
    throw new CorruptObject('an entry description that is not JSON');
  }
  const result = entrySchema.safeParse(parsed);
  if (!result.success)
    throw new CorruptObject(
      `an entry description that does not match the entry format: ${result.error.issues[0]?.message ?? ''}`,
    );
  const entry = result.data;
  const refused = refusal(key, entry);
  if (refused) throw new CorruptObject(`an entry refused: ${refused}`);
  const blobs: Buffer[] = [];
  let offset = 4 + length;
  for (const output of entry.outputs) {
    if (offset + output.size > body.length) throw new CorruptObject(`${output.name} is cut short`);
    blobs.push(body.subarray(offset, offset + output.size));
    offset += output.size;
  }
  if (offset !== body.length) throw new CorruptObject('an entry object with bytes after its last output');
  return { entry, blobs };
}

export async function encodeEntryObject(key: string, content: EntryContent, level: number): Promise<Buffer> {
  return encodeObject('e', key, entryBody(content), level);
}

export async function decodeEntryObject(key: string, value: Uint8Array): Promise<EntryContent> {
  return parseEntryBody(key, await decodeObject('e', key, value));
}
