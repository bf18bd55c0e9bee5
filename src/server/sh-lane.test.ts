import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realpathSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { callFingerprint } from '../wrapper/recursion.js';
import { compileRequestFor, type ShellProcess } from './sh-lane.js';
import type { ShRequest } from './sh-request.js';

const cwd = realpathSync(mkdtempSync(join(tmpdir(), 'hoard-sh-lane-')));
const shellIn = (overrides: Partial<ShellProcess> = {}): ShellProcess => ({ cwd, environmentNames: ['PATH', 'HOME'], umask: 0o022, ...overrides });
const request = (argv: string[], env: Record<string, string> = {}, pwd = cwd): ShRequest => ({ pid: 1, pwd, argv, env: { PATH: '/usr/bin', ...env }, length: 0 });

describe('compileRequestFor: the checks the Node wrapper makes, and those a shell needs', () => {
  it('gives the request the Node wrapper would send: the environment marked with this call, bin/hoard’s notes undone', () => {
    const checked = compileRequestFor(request(['gcc', '-c', 'a.c'], { HOARD_NESTING: 'outer', HOARD_INVOKED_AS: '/x/hoard', HOARD_NODE_EXTRA_CA_CERTS: '/ca.pem' }), shellIn(), 0o022);
    const call = callFingerprint(cwd, 'gcc', ['-c', 'a.c']);
    expect(checked).toEqual({
      nesting: `outer ${call}`,
      request: { v: expect.any(Number), type: 'compile', cwd, argv: ['gcc', '-c', 'a.c'], env: { PATH: '/usr/bin', HOARD_NESTING: `outer ${call}`, NODE_EXTRA_CA_CERTS: '/ca.pem' } },
    });
  });

  it('declines what it cannot be sure of: another directory, names no shell lists, another umask, unknown HOARD_ settings', () => {
    expect(compileRequestFor(request(['gcc']), shellIn({ cwd: '/elsewhere' }), 0o022)).toEqual({ declined: 'cwd' });
    expect(compileRequestFor(request(['gcc'], {}, '/no/such/dir'), shellIn(), 0o022)).toEqual({ declined: 'cwd' });
    expect(compileRequestFor(request(['gcc']), shellIn({ environmentNames: ['PATH', 'BASH_FUNC_f%%'] }), 0o022)).toEqual({ declined: 'environment-names' });
    expect(compileRequestFor(request(['gcc']), shellIn({ umask: 0o002 }), 0o022)).toEqual({ declined: 'umask' });
    expect(compileRequestFor(request(['gcc'], { HOARD_SOMETHING_NEW: '1' }), shellIn(), 0o022)).toEqual({ declined: 'setting' });
    expect(compileRequestFor(request(['gcc'], { HOARD_LOG_LEVEL: 'debug' }), shellIn(), 0o022)).toHaveProperty('request');
  });

  it('declines recursion as the Node wrapper would refuse it: its own call again, too deep, a compiler that is hoard', () => {
    const call = callFingerprint(cwd, 'gcc', ['-c', 'a.c']);
    expect(compileRequestFor(request(['gcc', '-c', 'a.c'], { HOARD_NESTING: `x ${call}` }), shellIn(), 0o022)).toEqual({ declined: 'recursion' });
    expect(compileRequestFor(request(['gcc'], { HOARD_NESTING: 'a b c d e f g h' }), shellIn(), 0o022)).toEqual({ declined: 'recursion' });
    // A relative compiler path resolves against the caller's directory, not the server's.
    writeFileSync(join(cwd, 'hoard'), '');
    symlinkSync(join(cwd, 'hoard'), join(cwd, 'cc'));
    expect(compileRequestFor(request(['./cc', '-c', 'a.c']), shellIn(), 0o022)).toEqual({ declined: 'recursion' });
  });
});
