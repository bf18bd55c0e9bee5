import { describe, expect, it } from 'vitest';
import { ccLines, shellRcFile, withBlock } from './init-cc.js';

describe('hoard init --cc', () => {
  it('wraps the compilers CC and CXX name now, or cc and c++', () => {
    expect(ccLines('hoard', {})).toEqual(expect.arrayContaining(['export CC="hoard cc"', 'export CXX="hoard c++"']));
    expect(ccLines('hoard', { CC: 'clang-16', CXX: 'hoard g++' })).toEqual(
      expect.arrayContaining(['export CC="hoard clang-16"', 'export CXX="hoard g++"']),
    );
  });

  it('puts its block in once: a second run replaces it, the rest of the file stays', () => {
    const once = withBlock('alias ll="ls -l"\n', ccLines('hoard', {}));
    expect(once.startsWith('alias ll="ls -l"\n\n# >>> hoard')).toBe(true);
    expect(withBlock(once, ccLines('hoard', {}))).toBe(once);
    const changed = withBlock(once, ccLines('hoard', { CC: 'clang' }));
    expect(changed.match(/# >>> hoard/g)).toHaveLength(1);
    expect(changed).toContain('export CC="hoard clang"');
    expect(changed.startsWith('alias ll="ls -l"\n')).toBe(true);
  });

  it("picks the shell's start-up file", () => {
    expect(shellRcFile({ HOME: '/h', SHELL: '/usr/bin/zsh' })).toBe('/h/.zshrc');
    expect(shellRcFile({ HOME: '/h', SHELL: '/bin/bash' })).toBe('/h/.bashrc');
  });
});
