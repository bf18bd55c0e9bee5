import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { digestBytes } from '../hash/blake3.js';
import { DigestMemo } from '../hash/digest-memo.js';
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
    await manifests.add(direct, { files: [['lib.rs', digestBytes('v1')]], envDeps: [['GREETING', 'hi']], resultKey: 'r1' });
    await manifests.add(direct, { files: [['lib.rs', digestBytes('v2')]], envDeps: [['GREETING', 'hi']], resultKey: 'r2' });
    expect(await manifests.find(direct, state(dir, { GREETING: 'hi' }))).toBe('r1');
    expect(await manifests.find(direct, state(dir, { GREETING: 'ho' }))).toBeUndefined();
    expect(await manifests.find(direct, state(dir, {}))).toBeUndefined();
    writeFileSync(join(dir, 'lib.rs'), 'v2');
    expect(await manifests.find(direct, state(dir, { GREETING: 'hi' }))).toBe('r2');
    writeFileSync(join(dir, 'lib.rs'), 'v3');
    expect(await manifests.find(direct, state(dir, { GREETING: 'hi' }))).toBeUndefined();
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
