import { describe, expect, it } from 'vitest';
import { parseDepInfo } from './dep-info.js';

describe('parseDepInfo', () => {
  it('reads sources and env-deps as rustc writes them', () => {
    const text = [
      '/t/deps/libdemo-1.rmeta: src/lib.rs src/a\\ b.rs /t/build/demo-2/out/gen.rs',
      '',
      '/t/deps/demo-1.d: src/lib.rs src/a\\ b.rs /t/build/demo-2/out/gen.rs',
      '',
      'src/lib.rs:',
      'src/a\\ b.rs:',
      '/t/build/demo-2/out/gen.rs:',
      '',
      '# env-dep:CARGO_PKG_NAME=demo',
      '# env-dep:MULTI=line\\none',
      '# env-dep:UNSET_ONE',
      '',
    ].join('\n');
    expect(parseDepInfo(text)).toEqual({
      sources: ['src/lib.rs', 'src/a b.rs', '/t/build/demo-2/out/gen.rs'],
      envDeps: [
        ['CARGO_PKG_NAME', 'demo'],
        ['MULTI', 'line\none'],
        ['UNSET_ONE', null],
      ],
    });
  });
});
