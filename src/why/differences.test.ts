import { describe, expect, it } from 'vitest';
import {
  describeDifference,
  differencesAcrossCheckouts,
  explainingDifferences,
  mostTellingFirst,
  sectionDifferences,
  shortValue,
  type Section,
} from './differences.js';

const base: Section[] = [
  ['1 cache-version', '7'],
  ['2 compiler', 'aaaa'],
  ['3 argument', '--crate-name=wt_core'],
  ['3 argument', '--edition=2021'],
  ['3 argument', '-C=opt-level=0'],
  ['3 argument', '-C=metadata=0123456789abcdef'],
  ['3 argument', 'input=wt-core/src/lib.rs'],
  ['4 extern', 'itoa 1111'],
  ['4 extern', 'memchr 2222'],
  ['7 env', 'CARGO_MANIFEST_DIR=/w/a/wt-core'],
  ['7 env', 'CARGO_PKG_NAME=wt-core'],
  ['8 cwd', '/w/a'],
];

function changed(edit: (sections: Section[]) => Section[]): Section[] {
  return edit(base.map((section) => [...section] as const));
}

describe('sectionDifferences', () => {
  it('finds nothing between equal inputs', () => {
    expect(sectionDifferences({ sections: base }, { sections: base })).toEqual([]);
  });

  it('pairs an option whose value changed, and leaves cargo’s metadata hash out when something explains it', () => {
    const now = changed((sections) =>
      sections.map(
        ([label, value]) =>
          [
            label,
            value === '-C=opt-level=0'
              ? '-C=opt-level=3'
              : value.startsWith('-C=metadata=')
                ? '-C=metadata=fedcba9876543210'
                : value,
          ] as const,
      ),
    );
    const found = sectionDifferences({ sections: base }, { sections: now });
    expect(explainingDifferences(found).differences).toEqual([
      { cause: 'arguments', input: 'argument', name: '-C opt-level', old: '-C opt-level=0', new: '-C opt-level=3' },
    ]);
  });

  it('names the metadata hash when nothing else differs', () => {
    const now = changed((sections) =>
      sections.map(
        ([label, value]) => [label, value.startsWith('-C=metadata=') ? '-C=metadata=fedcba9876543210' : value] as const,
      ),
    );
    expect(explainingDifferences(sectionDifferences({ sections: base }, { sections: now })).differences).toMatchObject([
      { input: 'argument', name: '-C metadata', derived: true },
    ]);
  });

  it('names a changed dependency only when none of the crate’s own inputs changed', () => {
    const flag = changed((sections) => [
      ...sections.map(([label, value]) => [label, value === 'itoa 1111' ? 'itoa 9999' : value] as const),
      ['3 argument', '--cfg=why_flag'],
    ]);
    expect(explainingDifferences(sectionDifferences({ sections: base }, { sections: flag }))).toEqual({
      differences: [
        { cause: 'arguments', input: 'argument', name: '--cfg=why_flag', old: null, new: '--cfg=why_flag' },
      ],
      dependencies: [{ cause: 'dependencies', input: 'extern', name: 'itoa', old: '1111', new: '9999' }],
    });
    const dependencyOnly = changed((sections) =>
      sections.map(([label, value]) => [label, value === 'itoa 1111' ? 'itoa 9999' : value] as const),
    );
    expect(
      explainingDifferences(sectionDifferences({ sections: base }, { sections: dependencyOnly })).differences,
    ).toMatchObject([{ input: 'extern', name: 'itoa' }]);
  });

  it('shows a --cfg feature as a feature turned on or off', () => {
    const now = changed((sections) => [...sections, ['3 argument', '--cfg=feature="extra"']]);
    expect(sectionDifferences({ sections: base }, { sections: now })).toEqual([
      { cause: 'features', input: 'feature', name: 'extra', old: 'off', new: 'on' },
    ]);
    expect(sectionDifferences({ sections: now }, { sections: base })).toEqual([
      { cause: 'features', input: 'feature', name: 'extra', old: 'on', new: 'off' },
    ]);
  });

  it('names a dependency by its --extern, an environment variable by its name, and a reordering', () => {
    const now = changed((sections) =>
      sections.map(
        ([label, value]) =>
          [
            label,
            value === 'memchr 2222'
              ? 'memchr 3333'
              : value === 'CARGO_PKG_NAME=wt-core'
                ? 'CARGO_PKG_NAME=other'
                : value,
          ] as const,
      ),
    );
    expect(sectionDifferences({ sections: base }, { sections: now })).toEqual([
      { cause: 'environment', input: 'env', name: 'CARGO_PKG_NAME', old: 'wt-core', new: 'other' },
      { cause: 'dependencies', input: 'extern', name: 'memchr', old: '2222', new: '3333' },
    ]);
    const reordered: Section[] = [base[0]!, base[1]!, base[3]!, base[2]!, ...base.slice(4)];
    expect(sectionDifferences({ sections: base }, { sections: reordered })).toMatchObject([
      { input: 'argument', name: 'order of the arguments' },
    ]);
  });

  it('names the compiler by path and version when its identity changed', () => {
    const now = changed((sections) =>
      sections.map(([label, value]) => [label, label === '2 compiler' ? 'bbbb' : value] as const),
    );
    expect(
      sectionDifferences(
        { sections: base, compiler: '/a/rustc (rustc 1.95.0)' },
        { sections: now, compiler: '/b/rustc (rustc 1.63.0)' },
      ),
    ).toEqual([
      {
        cause: 'toolchain',
        input: 'compiler',
        name: 'compiler',
        old: '/a/rustc (rustc 1.95.0)',
        new: '/b/rustc (rustc 1.63.0)',
      },
    ]);
  });

  it('names linker inputs and native libraries as the linker', () => {
    const old: Section[] = [...base, ['11 linker', '/usr/bin/cc 1234'], ['5 native-library', 'static z 5555']];
    const now: Section[] = [...base, ['11 linker', '/usr/bin/cc 9999'], ['5 native-library', 'static z 6666']];
    expect(
      sectionDifferences({ sections: old }, { sections: now }).map((difference) => [
        difference.cause,
        difference.input,
        difference.name,
      ]),
    ).toEqual([
      ['linker', 'native-library', 'static z'],
      ['linker', 'linker', '/usr/bin/cc'],
    ]);
  });
});

describe('differencesAcrossCheckouts', () => {
  const inB = base.map(([label, value]) => [label, value.replaceAll('/w/a', '/w/b')] as const);

  it('folds what only the checkout path explains into one difference', () => {
    expect(differencesAcrossCheckouts({ sections: base, root: '/w/a' }, { sections: inB, root: '/w/b' })).toEqual([
      {
        cause: 'location',
        input: 'checkout',
        name: 'checkout path (in working directory, CARGO_MANIFEST_DIR)',
        old: '/w/a',
        new: '/w/b',
      },
    ]);
  });

  it('keeps a real difference beside the path', () => {
    const edited = inB.map(([label, value]) => [label, value === 'itoa 1111' ? 'itoa 4444' : value] as const);
    const differences = mostTellingFirst(
      differencesAcrossCheckouts({ sections: base, root: '/w/a' }, { sections: edited, root: '/w/b' }),
    );
    expect(differences.map((difference) => difference.cause)).toEqual(['location', 'dependencies']);
  });

  it('does not mistake a longer directory for the root', () => {
    const old: Section[] = [['7 env', 'X=/w/abc']];
    const now: Section[] = [['7 env', 'X=/w/bbc']];
    expect(differencesAcrossCheckouts({ sections: old, root: '/w/a' }, { sections: now, root: '/w/b' })).toMatchObject([
      { input: 'env', name: 'X' },
    ]);
  });
});

describe('one-line descriptions', () => {
  it('shortens digests and long values, keeping both ends', () => {
    expect(shortValue('a'.repeat(64))).toBe('a'.repeat(12));
    expect(shortValue(`/very/long/${'x'.repeat(80)}/end`, 21)).toBe('/very/long…xxxxxx/end');
    expect(describeDifference({ cause: 'features', input: 'feature', name: 'std', old: 'off', new: 'on' })).toBe(
      'feature "std" turned on',
    );
    expect(
      describeDifference({
        cause: 'environment',
        input: 'env-dep',
        name: 'TYPENUM_BUILD_OP',
        old: '/w/a/op.rs',
        new: '/w/b/op.rs',
      }),
    ).toBe('env! variable TYPENUM_BUILD_OP: /w/a/op.rs → /w/b/op.rs');
  });
});
