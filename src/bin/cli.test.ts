import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError } from '../cli/client.js';
import { BUGS_URL } from '../errors/bugs-url.js';
import { main, reportFailure } from './cli.js';

function captured(): { write: (text: string) => void; text: () => string } {
  let text = '';
  return { write: (chunk) => void (text += chunk), text: () => text };
}

describe('how the command-line tool ends on an error', () => {
  it('an error the user can act on: its line and hint, status 1, nothing logged', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-'));
    const stderr = captured();
    const status = reportFailure(
      new CliError("unknown command 'frob'", { hint: "'hoard --help' lists the commands." }),
      { HOARD_DIR: dir },
      stderr.write,
    );
    expect(status).toBe(1);
    expect(stderr.text()).toBe("hoard: unknown command 'frob'; 'hoard --help' lists the commands.\n");
  });

  it('a bug: one line saying where to report it and what to attach, the stack in the error log, status 70', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-'));
    const stderr = captured();
    const bug = new TypeError("Cannot read properties of undefined (reading 'pid')");
    expect(reportFailure(bug, { HOARD_DIR: dir }, stderr.write)).toBe(70);
    expect(stderr.text()).toBe(
      `hoard: internal error: TypeError: Cannot read properties of undefined (reading 'pid'). This is a bug in hoard: please report it at ${BUGS_URL} ` +
        `with the output of \`hoard doctor\` and the server log ${join(dir, 'server.log')} (the stack is in ${join(dir, 'error.log')}).\n`,
    );
    const log = readFileSync(join(dir, 'error.log'), 'utf8');
    expect(log).toMatch(
      / cli\[\d+\] internal error: TypeError: Cannot read properties of undefined \(reading 'pid'\) \| +at /,
    );
    expect(log).toContain('cli.test.ts');
  });

  it('a bug with HOARD_DEBUG=1: the stack on stderr too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-'));
    const stderr = captured();
    reportFailure(new Error('boom'), { HOARD_DIR: dir, HOARD_DEBUG: '1' }, stderr.write);
    const lines = stderr.text().split('\n');
    expect(lines[0]).toMatch(/^hoard: internal error: Error: boom\. This is a bug in hoard: /);
    expect(lines[1]).toBe('Error: boom');
    expect(lines[2]).toMatch(/^ {4}at /);
  });

  it('an unknown command goes through it', async () => {
    const written: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((text: string) => written.push(text) > 0) as typeof process.stderr.write;
    try {
      expect(await main(['frob'])).toBe(1);
    } finally {
      process.stderr.write = write;
    }
    expect(written.join('')).toBe("hoard: unknown command 'frob'; 'hoard --help' lists the commands.\n");
  });
});
