import { describe, expect, it } from 'vitest';
import { HoardError } from './hoard-error.js';
import { BUGS_URL } from './bugs-url.js';
import { debugRequested, failureText, stackOf, userError } from './report.js';

const report = { program: 'hoard', serverLog: '/home/u/.cache/hoard/server.log' };

describe('what the user reads when a command or the server ends in an error', () => {
  it('takes where to report bugs from package.json', async () => {
    const { readFile } = await import('node:fs/promises');
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
      bugs: { url: string };
    };
    expect(BUGS_URL).toBe(pkg.bugs.url);
  });

  it('a HoardError: one line with its hint, no stack', () => {
    const text = failureText(new HoardError('the server did not start', { hint: 'see server.log.' }), {
      ...report,
      debug: false,
    });
    expect(text).toBe('hoard: the server did not start; see server.log.\n');
  });

  it('anything else: one line that calls it a bug, says where to report it and what to attach, and no stack', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'lanes')");
    const text = failureText(bug, { ...report, debug: false });
    expect(text).toBe(
      `hoard: internal error: TypeError: Cannot read properties of undefined (reading 'lanes'). This is a bug in hoard: please report it at ${BUGS_URL} ` +
        'with the output of `hoard doctor` and the server log /home/u/.cache/hoard/server.log (HOARD_DEBUG=1 shows the stack).\n',
    );
    expect(failureText(bug, { ...report, stackLog: '/home/u/.cache/hoard/error.log', debug: false })).toMatch(
      /\(the stack is in \/home\/u\/\.cache\/hoard\/error\.log\)\.\n$/,
    );
    expect(failureText('a thrown string\nwith two lines', { ...report, debug: false })).toMatch(
      /^hoard: internal error: a thrown string\. This is a bug in hoard/,
    );
  });

  it("a file system's refusal of a path is the user's to fix: one line with what to do, not a bug", async () => {
    const { mkdtempSync, writeFileSync, mkdirSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'report-')), 'a-file');
    writeFileSync(file, '');
    let refusal: unknown;
    try {
      mkdirSync(join(file, 'cache'));
    } catch (error) {
      refusal = error;
    }
    expect(userError(refusal)?.code).toBe('file-system');
    expect(failureText(refusal, { ...report, debug: false })).toBe(
      `hoard: ENOTDIR: not a directory, mkdir '${join(file, 'cache')}'; hoard writes under cache_dir and the state directory (HOARD_DIR, ` +
        'default ~/.cache/hoard): make that path a directory you can write, with space left, or set them elsewhere.\n',
    );
    // Without a path, or of another kind, it is not the user's.
    expect(userError(Object.assign(new Error('x'), { code: 'EACCES' }))).toBeUndefined();
    expect(userError(Object.assign(new Error('x'), { code: 'ECONNRESET', path: '/x' }))).toBeUndefined();
    expect(userError('EACCES')).toBeUndefined();
    // ENOENT is the user's from mkdir (a place that holds no directories), a bug from anything else.
    const noDirectories = Object.assign(new Error('x'), { code: 'ENOENT', path: '/proc/x', syscall: 'mkdir' });
    expect(userError(noDirectories)?.code).toBe('file-system');
    expect(userError(Object.assign(new Error('x'), { code: 'ENOENT', path: '/x', syscall: 'open' }))).toBeUndefined();
  });

  it('with HOARD_DEBUG=1, the stack and its causes follow the line', () => {
    expect(debugRequested({ HOARD_DEBUG: '1' })).toBe(true);
    expect(debugRequested({ HOARD_DEBUG: '0' })).toBe(false);
    expect(debugRequested({})).toBe(false);
    const bug = new Error('outer', { cause: new RangeError('inner') });
    const lines = failureText(bug, { ...report, debug: true }).split('\n');
    expect(lines[0]).toMatch(/^hoard: internal error: Error: outer\. This is a bug in hoard: .*server\.log\.$/);
    expect(lines[1]).toBe('Error: outer');
    expect(lines.some((line) => line.startsWith('caused by: RangeError: inner'))).toBe(true);
    expect(stackOf(bug)).toContain('report.test.ts');
    const known = failureText(new HoardError('no remote', { cause: new Error('ECONNREFUSED') }), {
      ...report,
      debug: true,
    });
    expect(known.split('\n')[0]).toBe('hoard: no remote');
    expect(known).toContain('caused by: Error: ECONNREFUSED');
  });
});
