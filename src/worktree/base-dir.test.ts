import { describe, expect, it } from 'vitest';
import { chooseBaseDir, relocationFor } from './base-dir.js';
import type { Worktree } from './locate.js';

const worktree: Worktree = { id: 'x', repository: '/w/a/.git', name: 'a', root: '/w/a', branch: 'main' };

describe('base directories', () => {
  it('strips the base directory only where it is a whole path prefix, and puts another back', () => {
    const relocation = relocationFor('/w/a');
    expect(relocation.strip('/w/a')).toBe('$BASEDIR');
    expect(relocation.strip('--remap=/w/a/src=x /w/a/b')).toBe('--remap=$BASEDIR/src=x $BASEDIR/b');
    expect(relocation.strip('/w/ab/src')).toBe('/w/ab/src');
    expect(relocation.strip('--remap-path-prefix=/w/a=.')).toBe('--remap-path-prefix=$BASEDIR=.');
    expect(relocationFor('/w/a.b').strip('/w/axb/c /w/a.b/c')).toBe('/w/axb/c $BASEDIR/c');
    expect(relocationFor('/w/b').resolve(relocation.strip('/w/a/src/lib.rs'))).toBe('/w/b/src/lib.rs');
  });

  it('chooses the longest configured directory containing the working directory, auto being the worktree', () => {
    expect(chooseBaseDir(['auto'], worktree, '/w/a/crates/x')).toBe('/w/a');
    expect(chooseBaseDir(['auto', '/w/a/crates/'], worktree, '/w/a/crates/x')).toBe('/w/a/crates');
    expect(chooseBaseDir(['auto'], worktree, '/usr/share/cargo/registry/memchr-2.5.0')).toBeUndefined();
    expect(chooseBaseDir([], worktree, '/w/a')).toBeUndefined();
    expect(chooseBaseDir(['auto'], { ...worktree, root: '' }, '/w/a')).toBeUndefined();
  });
});
