import blake3 from 'blake3-wasm';
import { describe, expect, it } from 'vitest';
import { KeyHasher } from './blake3.js';

/** Each section hashed as it comes: how keys were made before they were hashed in one call. */
function hashedSectionBySection(sections: [string, string][]): string {
  const hash = blake3.createHash();
  for (const [label, value] of sections) {
    const bytes = Buffer.from(value, 'utf8');
    hash.update(`${label}\0${bytes.length}\0`);
    hash.update(bytes);
  }
  return hash.digest('hex');
}

describe('KeyHasher', () => {
  const sections: [string, string][] = [
    ['1 cache-version', '7'],
    ['3 argument', '-DNAME="é ü 日本"'],
    ['3 argument', ''],
    ['4 cwd', '$BASEDIR/crates/a b'],
    // Lone surrogates (from a path that is not UTF-8) are encoded as U+FFFD either way.
    ['3 argument', 'x\uD83D'],
    ['3 argument', '\uDE00y'],
  ];

  it('gives the keys it gave when it hashed section by section, so stored entries still hit', () => {
    const hasher = new KeyHasher();
    for (const [label, value] of sections) hasher.section(label, value);
    expect(hasher.digest()).toBe(hashedSectionBySection(sections));
  });

  it('frames each section by its length: moving a boundary changes the key', () => {
    const split = (first: string, second: string) =>
      new KeyHasher().section('3 argument', first).section('3 argument', second).digest();
    expect(split('ab', 'c')).not.toBe(split('a', 'bc'));
  });

  it('explains a key as its sections, when asked', () => {
    const hasher = new KeyHasher(true);
    for (const [label, value] of sections) hasher.section(label, value);
    expect(hasher.explanation().split('\n')).toEqual(sections.map(([label, value]) => `${label}: ${value}`));
  });
});
