import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DigestMemo } from '../hash/digest-memo.js';
import { DiskStorage } from './disk-storage.js';
import { DiskStore } from './disk-store.js';
import { ManifestStore } from './manifest-store.js';
import { entryObjectKey, manifestObjectKey } from './object-keys.js';

let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'hoard-disk-storage-'));
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

async function level(name: string): Promise<{ storage: DiskStorage; store: DiskStore; manifests: ManifestStore }> {
  const memo = new DigestMemo();
  const store = new DiskStore(join(root, name), memo);
  await store.init();
  const manifests = new ManifestStore(join(root, name, 'manifests'), memo);
  return { storage: new DiskStorage(store, manifests), store, manifests };
}

describe('DiskStorage: the local disk under the storage contract', () => {
  it('gives and takes entries and manifests as the objects every level holds', async () => {
    const a = await level('a');
    const b = await level('b');
    const key = 'ab'.repeat(32);
    const direct = 'cd'.repeat(32);
    const outDir = join(root, 'out');
    mkdirSync(outDir);
    writeFileSync(join(outDir, 'libx.rlib'), 'rlib x');
    await a.store.put(
      key,
      [{ name: 'libx.rlib', path: join(outDir, 'libx.rlib'), templated: false }],
      { stdout: '', stderr: '', exitCode: 0, durationMs: 5 },
      { outDir },
    );
    await a.manifests.add(direct, { files: [], envDeps: [], resultKey: key });

    expect(await a.storage.get(entryObjectKey('ef'.repeat(32)))).toBeUndefined();
    for (const objectKey of [entryObjectKey(key), manifestObjectKey(direct)]) {
      const value = await a.storage.get(objectKey);
      expect(value).toBeDefined();
      await b.storage.put(objectKey, value!, { overwrite: false });
    }
    expect((await b.store.get(key)).status).toBe('hit');
    expect(await b.manifests.find(direct, { path: (path) => path, env: () => null })).toBe(key);

    // An object put under the wrong key is refused, and nothing is written.
    await expect(
      b.storage.put(entryObjectKey('ef'.repeat(32)), (await a.storage.get(entryObjectKey(key)))!, { overwrite: false }),
    ).rejects.toThrow(/digest/);
    expect(b.store.entryCount).toBe(1);

    await b.storage.remove(entryObjectKey(key));
    await b.storage.remove(manifestObjectKey(direct));
    expect((await b.store.get(key)).status).toBe('miss');
    expect(await b.storage.get(manifestObjectKey(direct))).toBeUndefined();
    await expect(b.storage.get('x/../../etc')).rejects.toThrow(/not a cache object key/);
  });
});
