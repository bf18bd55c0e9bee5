import { describe, expect, it } from 'vitest';
import { classifyCc } from './args.js';
import { preprocessArgs } from './preprocess-args.js';

const PLACES = { output: '/tmp/p.i', depFile: '/tmp/p.d', extraArgs: [] };

function argsFor(args: string[], extraArgs: string[] = []): string[] | undefined {
  const result = classifyCc('gcc', args, '/w');
  if (result.kind !== 'cacheable') throw new Error(JSON.stringify(result));
  return preprocessArgs(result.compile, { ...PLACES, extraArgs });
}

describe('preprocessArgs', () => {
  it('drops -c, -o and -MF, and pins the dependency file target to the object as given', () => {
    expect(argsFor(['-O2', '-MMD', '-MP', '-c', 'a.c', '-o', 'obj/a.o', '-MF', 'obj/a.d'])).toEqual([
      '-O2',
      '-MMD',
      '-MP',
      'a.c',
      '-MQ',
      'obj/a.o',
      '-E',
      '-o',
      '/tmp/p.i',
      '-MF',
      '/tmp/p.d',
    ]);
    expect(argsFor(['-MD', '-MT', 'x.o', '-c', 'a.c', '-oobj/a.o'])).toEqual([
      '-MD',
      '-MT',
      'x.o',
      'a.c',
      '-E',
      '-o',
      '/tmp/p.i',
      '-MF',
      '/tmp/p.d',
    ]);
  });

  it('asks for a dependency file when the caller did not, and adds the path mapping the compile gets', () => {
    expect(argsFor(['-I', 'inc', '-c', 'a.c'], ['-ffile-prefix-map=/w=.'])).toEqual([
      '-I',
      'inc',
      'a.c',
      '-MD',
      '-ffile-prefix-map=/w=.',
      '-E',
      '-o',
      '/tmp/p.i',
      '-MF',
      '/tmp/p.d',
    ]);
  });

  it('is undefined when a preprocessor run could do more than the cache knows', () => {
    expect(argsFor(['-Wp,-MD,a.d', '-c', 'a.c'])).toBeUndefined();
    expect(argsFor(['-Xclang', '-foo', '-c', 'a.c'])).toBeUndefined();
    expect(argsFor(['-c', 'a.s'])).toBeUndefined();
    expect(argsFor(['-c', 'a.i'])).toBeUndefined();
    expect(argsFor(['-P', '-c', 'a.c'])).toBeUndefined();
    expect(argsFor(['-dD', '-c', 'a.c'])).toBeUndefined();
    expect(argsFor(['-x', 'c++-cpp-output', '-c', 'a.cc'])).toBeUndefined();
  });
});
