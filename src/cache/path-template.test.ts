import { describe, expect, it } from 'vitest';
import { fromTemplate, placesEndWherePathsEnd, toTemplate } from './path-template.js';

describe('path templates', () => {
  it('carries raw and JSON-escaped out-dirs to another out-dir', () => {
    const from = '/home/a/my "proj"/target/debug/deps';
    const to = '/home/b/other/target/debug/deps';
    const json = JSON.stringify({ artifact: `${from}/libx.rmeta` });
    const text = `${from}/x.d: src/lib.rs\n${json}\n`;
    const template = toTemplate(text, { outDir: from });
    expect(template).not.toContain('/home/a');
    expect(fromTemplate(template, { outDir: to })).toBe(
      `${to}/x.d: src/lib.rs\n${JSON.stringify({ artifact: `${to}/libx.rmeta` })}\n`,
    );
  });

  it('moves paths under the base directory to the serving worktree', () => {
    const text = '/wt/a/target/debug/deps/x.d: core/src/lib.rs /wt/a/target/debug/build/core-1/out/gen.rs\n';
    const template = toTemplate(text, { outDir: '/wt/a/target/debug/deps', baseDir: '/wt/a' });
    expect(template).not.toContain('/wt/a');
    expect(fromTemplate(template, { outDir: '/wt/b/target/debug/deps', baseDir: '/wt/b' })).toBe(
      '/wt/b/target/debug/deps/x.d: core/src/lib.rs /wt/b/target/debug/build/core-1/out/gen.rs\n',
    );
  });
});

describe('placesEndWherePathsEnd', () => {
  it('accepts places that end where a path component ends, and rejects a longer name sharing the prefix', () => {
    const places = { outDir: '/w/a/obj', baseDir: '/w/a' };
    expect(placesEndWherePathsEnd('/w/a/obj/x.o: /w/a/x.c /w/a/inc/x.h\n/w/a:\n', places)).toBe(true);
    expect(placesEndWherePathsEnd('/w/a/obj/x.o: /w/abc/x.h\n', places)).toBe(false);
    expect(placesEndWherePathsEnd('/w/a/objects/x.o: x.c\n', places)).toBe(false);
  });
});
