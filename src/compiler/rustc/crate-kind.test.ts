import { describe, expect, it } from 'vitest';
import { rustCrateKind } from './crate-kind.js';

describe('rustCrateKind', () => {
  it.each([
    [['--crate-name', 'serde', '--crate-type', 'lib', 'src/lib.rs'], 'rust library'],
    [['--crate-name', 'x', '--crate-type=staticlib', 'src/lib.rs'], 'rust library'],
    [['--crate-name', 'serde_derive', '--crate-type', 'proc-macro', 'src/lib.rs'], 'rust proc-macro'],
    [['--crate-name', 'build_script_build', '--crate-type', 'bin', 'build.rs'], 'rust build script'],
    [['--crate-name', 'demo', '--crate-type', 'bin', 'src/main.rs'], 'rust binary'],
    [['main.rs'], 'rust binary'],
    [['--crate-name', 'demo', '--test', 'src/lib.rs'], 'rust test'],
  ])('%j is a %s', (args, kind) => {
    expect(rustCrateKind(args)).toBe(kind);
  });
});
