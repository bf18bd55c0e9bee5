import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ProcessRunner } from '../../exec/process-runner.js';
import { DigestMemo } from '../../hash/digest-memo.js';
import { classifyRustc } from './args.js';
import { LINKED_CRATE_KINDS } from './crate-kind.js';
import { librarySearchDirs, Linkers } from './linker.js';

const GCC_SEARCH_DIRS = `install: /usr/lib/gcc/x86_64-linux-gnu/12/
programs: =/usr/lib/gcc/x86_64-linux-gnu/12/:/usr/libexec/gcc/x86_64-linux-gnu/12/
libraries: =/usr/lib/gcc/x86_64-linux-gnu/12/:/usr/lib/gcc/x86_64-linux-gnu/12/../../../x86_64-linux-gnu/:/lib/x86_64-linux-gnu/:/usr/lib/
`;

describe('librarySearchDirs', () => {
  it('reads the libraries line of -print-search-dirs, normalized and without repeats', () => {
    expect(librarySearchDirs(GCC_SEARCH_DIRS)).toEqual([
      '/usr/lib/gcc/x86_64-linux-gnu/12',
      '/usr/lib/x86_64-linux-gnu',
      '/lib/x86_64-linux-gnu',
      '/usr/lib',
    ]);
    expect(librarySearchDirs('clang: unknown option')).toEqual([]);
  });
});

/** A directory with executable stand-ins for linkers, a system library dir and a -L native dir. */
function setUp() {
  const root = mkdtempSync(join(tmpdir(), 'hoard-linker-'));
  const bin = join(root, 'bin');
  const system = join(root, 'system-lib');
  const native = join(root, 'native');
  for (const dir of [bin, system, native]) mkdirSync(dir);
  const tool = (name: string, text: string): void => {
    writeFileSync(join(bin, name), text);
    chmodSync(join(bin, name), 0o755);
  };
  tool('cc', 'a C compiler driver');
  tool('other-cc', 'another driver');
  tool('ld', 'the linker proper');
  writeFileSync(join(native, 'libthing.a'), 'native library, first build');
  const calls: string[] = [];
  const runner: ProcessRunner = {
    async run(command, args) {
      calls.push(`${command} ${args.join(' ')}`);
      if (args[0] === '-print-prog-name=ld') return { exitCode: 0, stdout: `${join(bin, 'ld')}\n`, stderr: '' };
      return { exitCode: 0, stdout: `libraries: =${system}/\n`, stderr: '' };
    },
  };
  const linkers = new Linkers(runner, new DigestMemo());
  const env = { PATH: bin };
  const inputsFor = async (extra: string[] = [], extraEnv: Record<string, string> = {}) => {
    const args = [
      '--crate-name',
      'app',
      '--crate-type',
      'bin',
      '--emit=dep-info,link',
      'src/main.rs',
      '-L',
      `native=${native}`,
      '--out-dir',
      root,
      ...extra,
    ];
    const classification = classifyRustc(args, root, () => '', LINKED_CRATE_KINDS);
    if (classification.kind !== 'cacheable') throw new Error(JSON.stringify(classification));
    return linkers.inputs(classification.compile, root, { ...env, ...extraEnv });
  };
  return { root, bin, system, native, calls, tool, inputsFor };
}

describe('Linkers.inputs', () => {
  it('names the linker, the ld it runs, the system library directories and the -L native libraries', async () => {
    const { bin, system, inputsFor } = setUp();
    const inputs = await inputsFor();
    const labels = inputs.map(([label, value]) => `${label}: ${value.split(' ')[0]}`);
    expect(labels).toEqual([
      `11 linker: ${join(bin, 'cc')}`,
      '11 linker: runs',
      `12 system-library-dir: ${system}`,
      '12 library: libthing.a',
    ]);
  });

  it('changes when the linker, the ld, a -L library, a system library directory or a linker variable changes', async () => {
    const { bin, system, native, tool, inputsFor } = setUp();
    const initial = JSON.stringify(await inputsFor());
    const changes: Array<() => Promise<string>> = [
      async () => JSON.stringify(await inputsFor(['-C', `linker=${join(bin, 'other-cc')}`])),
      async () => JSON.stringify(await inputsFor([], { LIBRARY_PATH: '/opt/lib' })),
    ];
    for (const change of changes) expect(await change()).not.toBe(initial);
    // Each of these edits the world, so each compares with the state just before it.
    const edits: Array<() => void> = [
      () => writeFileSync(join(native, 'libthing.a'), 'native library, rebuilt'),
      () => tool('ld', 'an upgraded linker proper'),
      () => tool('cc', 'an upgraded driver'),
      () => writeFileSync(join(system, 'libnew.so'), 'a library a package installed'),
    ];
    let previous = initial;
    for (const edit of edits) {
      // mtime granularity: a directory written within the same tick must still look changed.
      await new Promise((resolve) => setTimeout(resolve, 15));
      edit();
      const next = JSON.stringify(await inputsFor());
      expect(next).not.toBe(previous);
      previous = next;
    }
  });

  it('asks each linker binary once, and again after it is replaced', async () => {
    const { calls, tool, inputsFor } = setUp();
    await inputsFor();
    await inputsFor();
    expect(calls).toHaveLength(2);
    tool('cc', 'a replaced driver');
    await inputsFor();
    expect(calls).toHaveLength(4);
  });

  it('fails when the linker is not on PATH, so that the compile runs uncached', async () => {
    const { inputsFor } = setUp();
    await expect(inputsFor(['-C', 'linker=no-such-linker'])).rejects.toThrow(/no-such-linker not found on PATH/);
  });
});
