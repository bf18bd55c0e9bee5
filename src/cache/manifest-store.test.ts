import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { digestContent } from '../hash/blake3.js';
import { DigestMemo } from '../hash/digest-memo.js';
import { countingMemo, writeSettled } from '../hash/test-factory.js';
import { isAbsolute, resolve } from 'node:path';
import { ManifestStore, type CurrentState } from './manifest-store.js';

function state(cwd: string, env: Record<string, string>): CurrentState {
  return { path: (path) => (isAbsolute(path) ? path : resolve(cwd, path)), env: (name) => env[name] ?? null };
}

describe('ManifestStore', () => {
  it('finds the combination that matches the files and env! values now, newest first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hoard-manifest-'));
    writeFileSync(join(dir, 'lib.rs'), 'v1');
    const manifests = new ManifestStore(join(dir, 'manifests'), new DigestMemo());
    const direct = 'aa'.repeat(32);
    await manifests.add(direct, {
      files: [['lib.rs', digestContent(Buffer.from('v1'))]],
      envDeps: [['GREETING', 'hi']],
      resultKey: 'r1',
    });
    await manifests.add(direct, {
      files: [['lib.rs', digestContent(Buffer.from('v2'))]],
      envDeps: [['GREETING', 'hi']],
      resultKey: 'r2',
    });
    expect(await manifests.find(direct, state(dir, { GREETING: 'hi' }))).toBe('r1');
    expect(await manifests.find(direct, state(dir, { GREETING: 'ho' }))).toBeUndefined();
    expect(await manifests.find(direct, state(dir, {}))).toBeUndefined();
    writeFileSync(join(dir, 'lib.rs'), 'v2');
    expect(await manifests.find(direct, state(dir, { GREETING: 'hi' }))).toBe('r2');
    writeFileSync(join(dir, 'lib.rs'), 'v3');
    expect(await manifests.find(direct, state(dir, { GREETING: 'hi' }))).toBeUndefined();
  });

  it('decides on files the memo knows without hashing, and passes a combination with a file known to differ', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hoard-manifest-'));
    const [a, b, c] = ['a.h', 'b.h', 'c.h'].map((name) => join(dir, name)) as [string, string, string];
    for (const file of [a, b, c]) writeSettled(file, `// ${file} v1`);
    const { memo, hashed } = countingMemo();
    const manifests = new ManifestStore(join(dir, 'manifests'), memo);
    const direct = 'cc'.repeat(32);
    await manifests.add(direct, {
      files: [[a, digestContent(Buffer.from(`// ${a} v1`))]],
      envDeps: [],
      resultKey: 'with-a',
    });
    // Newest first, so tried first: b.h is not what it recorded, which the memo knows once b.h was hashed.
    await manifests.add(direct, {
      files: [
        [b, digestContent(Buffer.from(`// ${b} v0`))],
        [c, digestContent(Buffer.from(`// ${c} v1`))],
      ],
      envDeps: [],
      resultKey: 'with-old-b',
    });
    await memo.digest(b);
    expect(await manifests.find(direct, state(dir, {}))).toBe('with-a');
    expect(hashed).toEqual([b, a]);
    expect(await manifests.find(direct, state(dir, {}))).toBe('with-a');
    expect(hashed).toEqual([b, a]);
  });

  it('reads a damaged manifest as empty', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hoard-manifest-'));
    const manifests = new ManifestStore(dir, new DigestMemo());
    const direct = 'bb'.repeat(32);
    await manifests.add(direct, { files: [], envDeps: [], resultKey: 'r' });
    writeFileSync(join(dir, 'bb', `${direct}.json`), '{ broken');
    expect(await manifests.find(direct, state(dir, {}))).toBeUndefined();
  });
});
