import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withoutLeadingHoard, misuseMessage } from './misuse.js';
import {
  callFingerprint,
  INVOKED_AS_VARIABLE,
  masqueradeMessage,
  MAX_NESTING,
  NESTING_VARIABLE,
  nestedEnvironment,
  recursionMessage,
} from './recursion.js';

describe('wrapper misuse', () => {
  it('answers a call without a compiler in one line', () => {
    expect(misuseMessage([])).toMatch(/^hoard: no compiler given\. [^\n]*'hoard --help'/);
    expect(misuseMessage([], true)).toMatch(/^hoard: 'hoard hoard' names no compiler/);
    expect(misuseMessage(['-E', 'foo.c'])).toMatch(/^hoard: '-E' is not a compiler\./);
    expect(misuseMessage(['rustc', '--definitely-not-an-option'])).toBeUndefined();
  });

  it('drops every leading hoard, so hoard never wraps itself', () => {
    expect(withoutLeadingHoard(['hoard', '/usr/bin/hoard', 'rustc', '-vV'])).toEqual(['rustc', '-vV']);
    expect(withoutLeadingHoard(['rustc', 'hoard'])).toEqual(['rustc', 'hoard']);
  });
});

describe('recursion guard', () => {
  const call = callFingerprint('/src', 'rustc', ['--crate-name', 'a']);

  it('stops a compile that comes back to hoard unchanged', () => {
    const env = nestedEnvironment({}, call);
    expect(recursionMessage('rustc', call, env)).toMatch(/^hoard: 'rustc' leads back to hoard/);
    expect(recursionMessage('rustc', callFingerprint('/src', 'rustc', ['--crate-name', 'b']), env)).toBeUndefined();
  });

  it('stops a loop whose calls change on the way, at a bounded depth', () => {
    let env: NodeJS.ProcessEnv = {};
    for (let level = 0; level < MAX_NESTING; level += 1)
      env = nestedEnvironment(env, callFingerprint('/', 'x', [String(level)]));
    expect(env[NESTING_VARIABLE]!.split(' ')).toHaveLength(MAX_NESTING);
    expect(recursionMessage('x', callFingerprint('/', 'x', ['new']), env)).toMatch(/8 hoard calls nested/);
  });

  it('recognises a compiler path that resolves to hoard', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hoard-recursion-'));
    writeFileSync(join(dir, 'hoard'), '');
    symlinkSync(join(dir, 'hoard'), join(dir, 'rustc'));
    expect(recursionMessage(join(dir, 'rustc'), call, {})).toMatch(/is hoard itself/);
    expect(recursionMessage(join(dir, 'missing'), call, {})).toBeUndefined();
  });

  it('refuses to act as a compiler through a link named like one, but not as sccache', () => {
    expect(masqueradeMessage({ [INVOKED_AS_VARIABLE]: '/home/u/bin/rustc' })).toMatch(/is a link to hoard/);
    expect(masqueradeMessage({ [INVOKED_AS_VARIABLE]: '/usr/bin/hoard' })).toBeUndefined();
    expect(masqueradeMessage({ [INVOKED_AS_VARIABLE]: '/home/u/bin/sccache' })).toBeUndefined();
    expect(masqueradeMessage({})).toBeUndefined();
  });

  it("does not hand bin/hoard's note to the compiler", () => {
    expect(nestedEnvironment({ [INVOKED_AS_VARIABLE]: 'hoard', PATH: '/bin' }, call)).toEqual({
      PATH: '/bin',
      [NESTING_VARIABLE]: call,
    });
  });
});
