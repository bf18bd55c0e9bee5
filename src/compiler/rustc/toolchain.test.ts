import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { digestBytes, digestContent } from '../../hash/blake3.js';
import { DigestMemo } from '../../hash/digest-memo.js';
import type { ProcessRunner } from '../../exec/process-runner.js';
import { Toolchains } from './toolchain.js';

function setUp() {
  const root = mkdtempSync(join(tmpdir(), 'hoard-toolchain-'));
  const sysroot = join(root, 'toolchain');
  mkdirSync(join(sysroot, 'lib'), { recursive: true });
  mkdirSync(join(sysroot, 'bin'));
  writeFileSync(join(sysroot, 'lib', 'librustc_driver-1234.so'), 'the compiler, as a library');
  const rustc = join(sysroot, 'bin', 'rustc');
  writeFileSync(rustc, 'a compiler');
  chmodSync(rustc, 0o755);
  const calls: string[] = [];
  const runner: ProcessRunner = {
    async run(command, args) {
      calls.push(`${command} ${args.join(' ')}`);
      // As the real runner gives it: without the final newline.
      return {
        exitCode: 0,
        stdout: args[0] === '-vV' ? 'rustc 1.95.0 (59807616e 2026-04-14)\nbinary: rustc' : sysroot,
        stderr: '',
      };
    },
  };
  const persistPath = join(root, 'toolchains.json');
  return { root, sysroot, rustc, calls, newToolchains: () => new Toolchains(runner, new DigestMemo(), persistPath) };
}

describe('Toolchains', () => {
  it('works an identity out once, and a new server remembers it even when its first requests come at once', async () => {
    const { rustc, root, calls, newToolchains } = setUp();
    const first = await newToolchains().identify(rustc, root, { PATH: '' });
    expect(calls).toHaveLength(2);
    const restarted = newToolchains();
    const identities = await Promise.all(
      Array.from({ length: 5 }, () => restarted.identify(rustc, root, { PATH: '' })),
    );
    expect(identities.map((identity) => identity.digest)).toEqual(Array(5).fill(first.digest));
    expect(calls).toHaveLength(2);
  });

  it('works it out again when a sysroot library is replaced', async () => {
    const { rustc, root, sysroot, calls, newToolchains } = setUp();
    const toolchains = newToolchains();
    const before = await toolchains.identify(rustc, root, { PATH: '' });
    writeFileSync(join(sysroot, 'lib', 'librustc_driver-1234.so'), 'the compiler, updated in place');
    const after = await toolchains.identify(rustc, root, { PATH: '' });
    expect(calls).toHaveLength(4);
    expect(after.digest).not.toBe(before.digest);
  });

  it('answers `rustc -vV` as rustc printed it once the toolchain is identified, and never identifies to answer', async () => {
    const { rustc, root, calls, newToolchains } = setUp();
    const toolchains = newToolchains();
    expect(await toolchains.knownVersionOutput(rustc, root, { PATH: '' })).toBeUndefined();
    expect(calls).toHaveLength(0);
    await toolchains.identify(rustc, root, { PATH: '' });
    expect(await toolchains.knownVersionOutput(rustc, root, { PATH: '' })).toBe(
      'rustc 1.95.0 (59807616e 2026-04-14)\nbinary: rustc\n',
    );
    // A new server reads it back with the identity.
    expect(await newToolchains().knownVersionOutput(rustc, root, { PATH: '' })).toBe(
      'rustc 1.95.0 (59807616e 2026-04-14)\nbinary: rustc\n',
    );
    expect(calls).toHaveLength(2);
  });

  it('does not answer `rustc -vV` for a toolchain changed since, nor from an entry saved without the answer', async () => {
    const { rustc, root, sysroot, newToolchains } = setUp();
    const toolchains = newToolchains();
    await toolchains.identify(rustc, root, { PATH: '' });
    writeFileSync(join(sysroot, 'lib', 'librustc_driver-1234.so'), 'the compiler, updated in place');
    expect(await toolchains.knownVersionOutput(rustc, root, { PATH: '' })).toBeUndefined();

    const persisted = join(root, 'toolchains.json');
    await newToolchains().identify(rustc, root, { PATH: '' });
    const saved = JSON.parse(readFileSync(persisted, 'utf8')) as Record<string, { versionOutput?: unknown }>;
    for (const entry of Object.values(saved)) delete entry.versionOutput;
    writeFileSync(persisted, JSON.stringify(saved));
    expect(await newToolchains().knownVersionOutput(rustc, root, { PATH: '' })).toBeUndefined();
    for (const entry of Object.values(saved)) entry.versionOutput = 42;
    writeFileSync(persisted, JSON.stringify(saved));
    expect(await newToolchains().knownVersionOutput(rustc, root, { PATH: '' })).toBeUndefined();
  });

  it('names the sysroot libraries by their BLAKE3 digest, and works out again an identity remembered with sha256 digests or before either', async () => {
    const { rustc, root, calls, newToolchains } = setUp();
    const identity = await newToolchains().identify(rustc, root, { PATH: '' });
    const library = digestContent(Buffer.from('the compiler, as a library'));
    expect(identity.digest).toBe(
      digestBytes(
        ['rustc 1.95.0 (59807616e 2026-04-14)\nbinary: rustc', `librustc_driver-1234.so ${library}`].join('\n'),
      ),
    );
    // As older hoards saved it: with sha256 digests of the libraries, and without saying how they were digested.
    const persistPath = join(root, 'toolchains.json');
    for (const [round, mark] of ['sha256', undefined].entries()) {
      const saved = JSON.parse(readFileSync(persistPath, 'utf8')) as Record<string, Record<string, unknown>>;
      for (const remembered of Object.values(saved)) {
        if (mark === undefined) delete remembered.libraryDigests;
        else remembered.libraryDigests = mark;
        remembered.digest = 'f'.repeat(64);
      }
      writeFileSync(persistPath, JSON.stringify(saved));
      expect((await newToolchains().identify(rustc, root, { PATH: '' })).digest).toBe(identity.digest);
      expect(calls).toHaveLength(4 + 2 * round);
    }
  });
});
