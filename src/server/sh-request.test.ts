import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseExportListing,
  parseShRequest,
  printfFormat,
  PROBE_VALUE,
  PROBE_VARIABLE,
  type ShDialect,
} from './sh-request.js';

const fixtures = join(import.meta.dirname, '../../test/fixtures/export-p');

/** What test/fixtures/export-p/hostile.sh exports. */
const HOSTILE: Record<string, string> = {
  H_QUOTES: `a'b"c`,
  H_NEWLINES: 'line1\nline2\n\nx',
  H_EQUALS: 'a=b==c=',
  H_UTF8: 'é€😀',
  H_EMPTY: '',
  H_SPACES: '  lead and trail  ',
  H_BACKSLASH: 'a\\b\\\\c\\n\\',
  H_DOLLAR: "$HOME ${x} $(id) `id` $'x'",
  H_CONTROL: '\x01\x1b[0m\x7f\r\tend',
  H_PERCENT: '100% %s %%',
  H_LATIN_PUNCTUATION: '\u00a0§Üÿ',
  [PROBE_VARIABLE]: PROBE_VALUE,
};

/** Recorded with record.mjs: each shell's `export -p`, and the dialect bin/hoard names it by. */
const SHELLS: Array<[string, ShDialect]> = [
  ['dash', 'sh'],
  ['busybox-ash', 'sh'],
  ['bash-as-sh', 'bash'],
  ['bash', 'bash'],
  ['zsh-as-sh', 'zsh'],
];

function request(argv: Buffer[], listing: Buffer, dialect: ShDialect, pwd = '/work'): Buffer {
  const header = Buffer.from(`hoard-sh 1 4242 ${argv.length} ${dialect}\n`);
  return Buffer.concat([
    header,
    ...[Buffer.from(pwd), ...argv].flatMap((field) => [field, Buffer.from([0])]),
    listing,
    Buffer.from([0]),
  ]);
}

describe('export -p as each shell prints it', () => {
  for (const [shell, dialect] of SHELLS) {
    it(`reads ${shell}'s hostile values exactly`, () => {
      const env = parseExportListing(readFileSync(join(fixtures, `hostile.${shell}.txt`)), dialect);
      for (const [name, value] of Object.entries(HOSTILE)) expect(env[name], name).toBe(value);
      // Exported without a value: not in a child's environment.
      expect(env).not.toHaveProperty('H_UNSET');
    });

    it(`declines ${shell}'s value that is not UTF-8`, () => {
      expect(() => parseExportListing(readFileSync(join(fixtures, `not-utf8.${shell}.txt`)), dialect)).toThrow(
        /not UTF-8/,
      );
    });

    it(`declines ${shell}'s listing read as another dialect`, () => {
      const listing = readFileSync(join(fixtures, `hostile.${shell}.txt`));
      for (const other of (['sh', 'bash', 'zsh'] as const).filter((candidate) => candidate !== dialect)) {
        const parsed = parseShRequest(request([Buffer.from('cc')], listing, other));
        expect(parsed.kind, `${shell} as ${other}`).toBe('declined');
      }
    });
  }

  it('declines what no shell prints: a bare word in dash, an unknown escape, a name that is no identifier', () => {
    expect(() => parseExportListing(Buffer.from('export A=b\n'), 'sh')).toThrow();
    expect(() => parseExportListing(Buffer.from("export A=$'\\q'\n"), 'bash')).toThrow();
    expect(() => parseExportListing(Buffer.from("export A-B='1'\n"), 'sh')).toThrow();
    expect(() => parseExportListing(Buffer.from("export A='1' B='2'\n"), 'sh')).toThrow();
    expect(() => parseExportListing(Buffer.from('declare -ax A="1"\n'), 'bash')).toThrow();
    expect(() => parseExportListing(Buffer.from("export A='1'\nexport A='2'\n"), 'sh')).toThrow(/twice/);
    expect(() => parseExportListing(Buffer.from("export A='unterminated\n"), 'sh')).toThrow();
  });
});

describe('the request', () => {
  const listing = readFileSync(join(fixtures, 'hostile.dash.txt'));

  it('keeps arguments exactly: empty ones, spaces, newlines, = and non-ASCII', () => {
    const argv = ['gcc', '', 'a b', 'line\nbreak', '-DX="y z"', 'é=€', ' '];
    const parsed = parseShRequest(
      request(
        argv.map((argument) => Buffer.from(argument)),
        listing,
        'sh',
        '/dir with space/é',
      ),
    );
    expect(parsed.kind).toBe('request');
    if (parsed.kind !== 'request') return;
    expect(parsed.request).toMatchObject({ pid: 4242, pwd: '/dir with space/é', argv });
    expect(parsed.request.env).not.toHaveProperty(PROBE_VARIABLE);
    expect(parsed.request.env.H_NEWLINES).toBe(HOSTILE.H_NEWLINES);
  });

  it('waits for the rest of a request that arrives in pieces', () => {
    const whole = request([Buffer.from('cc'), Buffer.from('-c')], listing, 'sh');
    for (const cut of [5, 30, whole.length - 1]) expect(parseShRequest(whole.subarray(0, cut)).kind).toBe('incomplete');
    const parsed = parseShRequest(Buffer.concat([whole, Buffer.from('store 0\n')]));
    expect(parsed.kind === 'request' && parsed.request.length).toBe(whole.length);
  });

  it('declines an argument that is not UTF-8, a missing or changed probe, another version', () => {
    expect(parseShRequest(request([Buffer.from('cc'), Buffer.from([0x66, 0xff])], listing, 'sh'))).toMatchObject({
      kind: 'declined',
      reason: /argument is not UTF-8/,
    });
    expect(parseShRequest(request([Buffer.from('cc')], Buffer.from("export A='1'\n"), 'sh'))).toMatchObject({
      kind: 'declined',
      reason: /did not read back/,
    });
    const changed = Buffer.from(listing.toString('latin1').replace("q'\"'\"'", "q'\"'\"'!"), 'latin1');
    expect(parseShRequest(request([Buffer.from('cc')], changed, 'sh'))).toMatchObject({ kind: 'declined' });
    expect(parseShRequest(Buffer.from('hoard-sh 2 1 1 sh\n'))).toMatchObject({
      kind: 'declined',
      reason: 'request version 2',
    });
    expect(parseShRequest(Buffer.from('\0\0\0\x10{"v":3}'))).toMatchObject({ kind: 'declined' });
  });
});

describe('printfFormat', () => {
  it('prints every byte back exactly through printf in each shell', () => {
    const bytes = Buffer.concat([
      Buffer.from('-x %s %% \\ \\n \n\t"\'`$ é '),
      Buffer.from([0, 1, 0x7f, 0x80, 0xff, 0x31, 0x32]),
    ]);
    for (const shell of [['dash'], ['bash'], ['busybox', 'sh'], ['zsh', '--emulate', 'sh']]) {
      const printed = execFileSync(shell[0]!, [...shell.slice(1), '-c', 'printf "$1"', 'sh', printfFormat(bytes)]);
      expect(printed.equals(bytes), shell.join(' ')).toBe(true);
    }
  });
});
