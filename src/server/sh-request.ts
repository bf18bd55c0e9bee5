/**
 * The request of bin/hoard's fast path, as its shell writes it into an sh lane (docs/architecture.md,
 * "The launcher's fast path"):
 *
 *   hoard-sh 1 <pid> <argument count> <dialect>\n
 *   <$PWD>\0 <argument>\0 …            the compiler and its arguments, exactly (`printf '%s\0' "$@"`)
 *   <export -p>\0                      the environment, as this shell prints it
 *
 * `export -p` looks different in every shell: dash and busybox ash quote with '…' only, bash with "…"
 * or $'…' (octal escapes), zsh with bare words, '…', \' and $'…' (\M- and \C- notation). Each dialect
 * is parsed strictly, as its shell prints it, and anything else declines the request: a guess could
 * make a wrong key, and a wrong key restores a wrong artifact. The probe variable, whose hostile value
 * is fixed here and in bin/hoard, must come out exactly, which proves the dialect is read right.
 */

export const SH_REQUEST_VERSION = '1';
export const PROBE_VARIABLE = 'HOARD_FAST_PATH_PROBE';
/** What bin/hoard sets the probe to: quotes, a backslash, a dollar, a backtick, non-ASCII, a tab, `=`, a newline. */
export const PROBE_VALUE = `q'"\\$ \`é\t=\nx`;
/** A request larger than this is not a shell's environment: declined. */
export const MAX_SH_REQUEST_BYTES = 16 * 1024 * 1024;

export type ShDialect = 'sh' | 'bash' | 'zsh';

export interface ShRequest {
  /** The shell's pid ($$): it stays until the call is over. */
  pid: number;
  /** $PWD as the shell has it (it may name links; the caller checks it against the process's). */
  pwd: string;
  argv: string[];
  env: Record<string, string>;
  /** Bytes of the request, for the lines that follow it on the lane. */
  length: number;
}

export type ShRequestParse =
  | { kind: 'request'; request: ShRequest }
  | { kind: 'incomplete' }
  | { kind: 'declined'; reason: string };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

class Declined extends Error {}

function decline(reason: string): never {
  throw new Declined(reason);
}

function utf8(bytes: Uint8Array, what: string): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return decline(`${what} is not UTF-8`);
  }
}

/** Parses a request from the start of `bytes`, or says it is not all there yet, or why it is declined. */
export function parseShRequest(bytes: Buffer): ShRequestParse {
  try {
    return parseOrThrow(bytes);
  } catch (error) {
    if (error instanceof Declined) return { kind: 'declined', reason: error.message };
    throw error;
  }
}

function parseOrThrow(bytes: Buffer): ShRequestParse {
  const magic = 'hoard-sh ';
  if (bytes.subarray(0, magic.length).toString('latin1') !== magic.slice(0, Math.min(bytes.length, magic.length)))
    return decline('unknown request');
  const headerEnd = bytes.indexOf(0x0a);
  if (headerEnd < 0) return bytes.length > 200 ? decline('header too long') : { kind: 'incomplete' };
  const header = /^hoard-sh (\S+) ([1-9]\d*) (\d+) (sh|bash|zsh)$/.exec(
    bytes.subarray(0, headerEnd).toString('latin1'),
  );
  if (!header) return decline('unknown request');
  if (header[1] !== SH_REQUEST_VERSION) return decline(`request version ${header[1]}`);
  const argc = Number(header[3]);
  const fields: Buffer[] = [];
  let position = headerEnd + 1;
  // The working directory and the arguments, then the environment: each ends with NUL, which none holds.
  while (fields.length < argc + 2) {
    const end = bytes.indexOf(0, position);
    if (end < 0) return bytes.length > MAX_SH_REQUEST_BYTES ? decline('request too large') : { kind: 'incomplete' };
    fields.push(bytes.subarray(position, end));
    position = end + 1;
  }
  const [pwd, ...rest] = fields.map((field, index) =>
    index <= argc ? utf8(field, index === 0 ? 'the working directory' : 'an argument') : '',
  );
  const argv = rest.slice(0, argc);
  if (argv.length === 0 || argv[0] === '') return decline('no compiler');
  const env = parseExportListing(fields[argc + 1]!, header[4] as ShDialect);
  if (env[PROBE_VARIABLE] !== PROBE_VALUE)
    return decline(`the ${header[4]} dialect of export -p did not read back exactly`);
  delete env[PROBE_VARIABLE];
  return { kind: 'request', request: { pid: Number(header[2]), pwd: pwd!, argv, env, length: position } };
}

/**
 * The exported variables that have a value, from `export -p` as `dialect` prints it. Throws Declined at
 * anything that is not exactly that shell's printing.
 */
export function parseExportListing(listing: Buffer, dialect: ShDialect): Record<string, string> {
  const env: Record<string, string> = {};
  const reader = new Reader(listing);
  while (!reader.atEnd()) {
    if (dialect === 'bash' && reader.startsWith('declare -')) {
      reader.skip('declare -'.length);
      const flags = reader.takeWhile((byte) => byte !== 0x20);
      if (!/^[ilrtux]*x[ilrtux]*$/.test(flags)) decline(`declare -${flags}`);
      reader.expect(' ');
    } else {
      reader.expect('export ');
    }
    const name = reader.takeWhile((byte) => byte !== 0x3d && byte !== 0x0a);
    if (!NAME.test(name)) decline('a variable name that is not an identifier');
    if (reader.peek() === 0x0a) {
      reader.skip(1); // exported without a value: not in the environment
      continue;
    }
    reader.expect('=');
    const value =
      dialect === 'sh' ? readDashValue(reader) : dialect === 'bash' ? readBashValue(reader) : readZshValue(reader);
    reader.expect('\n');
    if (Object.hasOwn(env, name)) decline(`${name} listed twice`);
    env[name] = utf8(Buffer.from(value), `the value of ${name}`);
  }
  return env;
}

class Reader {
  position = 0;
  constructor(private readonly bytes: Buffer) {}

  atEnd(): boolean {
    return this.position >= this.bytes.length;
  }

  peek(offset = 0): number | undefined {
    return this.bytes[this.position + offset];
  }

  next(): number {
    const byte = this.bytes[this.position];
    if (byte === undefined) decline('export -p ends inside a value');
    this.position += 1;
    return byte;
  }

  skip(count: number): void {
    this.position += count;
  }

  startsWith(text: string): boolean {
    return this.bytes.subarray(this.position, this.position + text.length).toString('latin1') === text;
  }

  expect(text: string): void {
    if (!this.startsWith(text)) decline(`export -p: expected ${JSON.stringify(text)} at byte ${this.position}`);
    this.skip(text.length);
  }

  takeWhile(accept: (byte: number) => boolean): string {
    const start = this.position;
    while (!this.atEnd() && accept(this.bytes[this.position]!)) this.position += 1;
    return this.bytes.subarray(start, this.position).toString('latin1');
  }

  /** Raw bytes up to (not including) the next `quote`, which is consumed. */
  until(quote: number): number[] {
    const end = this.bytes.indexOf(quote, this.position);
    if (end < 0) decline('export -p ends inside a quote');
    const taken = [...this.bytes.subarray(this.position, end)];
    this.position = end + 1;
    return taken;
  }
}

const QUOTE = 0x27;
const DOUBLE_QUOTE = 0x22;
const BACKSLASH = 0x5c;
const DOLLAR = 0x24;

/** dash, busybox ash: 'raw' pieces, a single quote as "'" between them. */
function readDashValue(reader: Reader): number[] {
  const value: number[] = [];
  let pieces = 0;
  for (;;) {
    if (reader.peek() === QUOTE) {
      reader.skip(1);
      value.push(...reader.until(QUOTE));
    } else if (reader.startsWith(`"'"`)) {
      reader.skip(3);
      value.push(QUOTE);
    } else {
      break;
    }
    pieces += 1;
  }
  if (pieces === 0) decline('export -p: a value dash or ash would have quoted');
  return value;
}

/** bash: one "…" (escaping $ ` " \) or one $'…' (ANSI-C escapes). */
function readBashValue(reader: Reader): number[] {
  if (reader.peek() === DOUBLE_QUOTE) {
    reader.skip(1);
    const value: number[] = [];
    for (;;) {
      const byte = reader.next();
      if (byte === DOUBLE_QUOTE) return value;
      if (byte === BACKSLASH) {
        const escaped = reader.next();
        if (!'$`"\\'.includes(String.fromCharCode(escaped))) decline('export -p: an escape bash does not print in "…"');
        value.push(escaped);
      } else {
        value.push(byte);
      }
    }
  }
  if (reader.peek() === DOLLAR && reader.peek(1) === QUOTE) {
    reader.skip(2);
    return readAnsiC(reader, 'bash');
  }
  return decline('export -p: a value bash would have quoted');
}

/** zsh as sh: bare words, '…', \' and $'…' one after another. */
function readZshValue(reader: Reader): number[] {
  const value: number[] = [];
  let pieces = 0;
  for (;;) {
    const byte = reader.peek();
    if (byte === QUOTE) {
      reader.skip(1);
      value.push(...reader.until(QUOTE));
    } else if (byte === BACKSLASH && reader.peek(1) === QUOTE) {
      reader.skip(2);
      value.push(QUOTE);
    } else if (byte === DOLLAR && reader.peek(1) === QUOTE) {
      reader.skip(2);
      value.push(...readAnsiC(reader, 'zsh'));
    } else if (byte !== undefined && isBareByte(byte)) {
      reader.skip(1);
      value.push(byte);
    } else {
      break;
    }
    pieces += 1;
  }
  if (pieces === 0) decline('export -p: a value zsh would have quoted');
  return value;
}

/** Characters zsh leaves unquoted and a shell reads back as themselves. */
function isBareByte(byte: number): boolean {
  return /[A-Za-z0-9_./:,@+%=-]/.test(String.fromCharCode(byte));
}

const SIMPLE_ESCAPES: Record<string, number> = {
  a: 7,
  b: 8,
  e: 27,
  E: 27,
  f: 12,
  n: 10,
  r: 13,
  t: 9,
  v: 11,
  '\\': 92,
  "'": 39,
  '"': 34,
};

/** The inside of $'…' up to its closing quote, with the escapes `shell` prints there. */
function readAnsiC(reader: Reader, shell: 'bash' | 'zsh'): number[] {
  const value: number[] = [];
  for (;;) {
    const byte = reader.next();
    if (byte === QUOTE) return value;
    value.push(byte === BACKSLASH ? readEscape(reader, shell) : byte);
  }
}

/** One escape after its backslash: a byte. */
function readEscape(reader: Reader, shell: 'bash' | 'zsh'): number {
  const letter = String.fromCharCode(reader.next());
  if (Object.hasOwn(SIMPLE_ESCAPES, letter)) return SIMPLE_ESCAPES[letter]!;
  if (shell === 'bash' && /[0-7]/.test(letter)) {
    let digits = letter;
    while (digits.length < 3 && /[0-7]/.test(String.fromCharCode(reader.peek() ?? 0)))
      digits += String.fromCharCode(reader.next());
    const code = parseInt(digits, 8);
    return code <= 0xff ? code : decline('export -p: an octal escape past a byte');
  }
  if (shell === 'zsh' && (letter === 'M' || letter === 'C') && reader.peek() === 0x2d) {
    reader.skip(1);
    if (letter === 'M') {
      const escaped = reader.peek() === BACKSLASH;
      if (escaped) reader.skip(1);
      const inner = escaped ? readEscape(reader, shell) : reader.next();
      return inner < 0x80 ? inner | 0x80 : decline('export -p: \\M- of a byte past 0x7f');
    }
    const controlled = reader.next();
    if (controlled === 0x3f) return 0x7f;
    if (controlled >= 0x40 && controlled <= 0x5f) return controlled & 0x1f;
    return decline('export -p: an unknown \\C- escape');
  }
  return decline(`export -p: an escape ${shell} does not print (\\${letter})`);
}

/**
 * `bytes` as a printf format that prints exactly them, on one line: printable ASCII as itself (`%` as
 * `%%`), everything else, and a leading `-`, as a three-digit octal escape.
 */
export function printfFormat(bytes: Uint8Array): string {
  let format = '';
  for (let index = 0; index < bytes.length; index += 1) {
    const byte = bytes[index]!;
    if (byte === 0x25) format += '%%';
    else if (byte >= 0x20 && byte < 0x7f && byte !== BACKSLASH && !(index === 0 && byte === 0x2d))
      format += String.fromCharCode(byte);
    else format += `\\${byte.toString(8).padStart(3, '0')}`;
  }
  return format;
}
