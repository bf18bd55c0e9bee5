import { describe, expect, it } from 'vitest';
import { classifyCc } from './args.js';
import type { CcCompilerIdentity } from './compiler-identity.js';
import { ccDirectKey } from './key-inputs.js';

const IDENTITY: CcCompilerIdentity = { path: '/usr/bin/gcc-12', family: 'gcc', digest: 'gcc-12.2.0', systemIncludeDirs: ['/usr/include'] };

async function keyOf(args: string[], options: { cwd?: string; env?: Record<string, string>; identity?: CcCompilerIdentity } = {}): Promise<string> {
  const result = classifyCc('gcc', args, options.cwd ?? '/w');
  if (result.kind !== 'cacheable') throw new Error(JSON.stringify(result));
  return (await ccDirectKey(result.compile, options.identity ?? IDENTITY, options.cwd ?? '/w', options.env ?? { PATH: '/usr/bin' })).key;
}

describe('ccDirectKey', () => {
  const base = ['-O2', '-c', 'a.c', '-o', 'out/a.o'];

  it('changes with each input', async () => {
    const key = await keyOf(base);
    expect(await keyOf(['-O0', '-c', 'a.c', '-o', 'out/a.o'])).not.toBe(key);
    expect(await keyOf(base, { identity: { ...IDENTITY, digest: 'gcc-13.1.0' } })).not.toBe(key);
    expect(await keyOf(base, { cwd: '/elsewhere' })).not.toBe(key);
    expect(await keyOf(base, { env: { PATH: '/usr/bin', CPATH: '/opt/include' } })).not.toBe(key);
    expect(await keyOf(['-DX=1', ...base])).not.toBe(key);
  });

  it('leaves out where the object goes, and what the compiler does not read', async () => {
    const key = await keyOf(base);
    expect(await keyOf(['-O2', '-c', 'a.c', '-o', 'other/a.o'])).toBe(key);
    expect(await keyOf(base, { env: { PATH: '/opt/bin:/usr/bin', HOME: '/home/u' } })).toBe(key);
  });

  it('keeps the object path when a dependency file names it', async () => {
    const withDeps = ['-MMD', ...base];
    expect(await keyOf(['-MMD', '-O2', '-c', 'a.c', '-o', 'other/a.o'])).not.toBe(await keyOf(withDeps));
  });
});
