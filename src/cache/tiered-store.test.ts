import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DigestMemo } from '../hash/digest-memo.js';
import { emptyCounters, type Counters } from '../stats/counters.js';
import { emptyRemoteCounters } from '../stats/remote-counters.js';
import { GuardedStorage } from './guarded-storage.js';
import { DiskStore } from './disk-store.js';
import { decodeEntryObject, encodeEntryObject } from './entry-object.js';
import { ManifestStore } from './manifest-store.js';
import { entryObjectKey, manifestObjectKey } from './object-keys.js';
import { StorageError, type CacheStorage, type PutOptions } from './storage.js';
import { TieredStore, type RemoteLevel, type TierLog } from './tiered-store.js';

/** A remote in memory that records what is asked of it; `failing` makes every call throw. */
class MemoryStorage implements CacheStorage {
  readonly objects = new Map<string, Uint8Array>();
  readonly gets: string[] = [];
  readonly puts: string[] = [];
  failing = false;
  /** Puts wait for this before they finish, when set. */
  gate: Promise<void> | undefined;

  constructor(readonly label: string) {}

  async get(key: string): Promise<Uint8Array | undefined> {
    this.gets.push(key);
    if (this.failing) throw new StorageError('timeout', 'no answer');
    return this.objects.get(key);
  }

  async put(key: string, value: Uint8Array, options: PutOptions): Promise<void> {
    this.puts.push(key);
    await this.gate;
    if (this.failing) throw new StorageError('error', 'refused');
    if (options.overwrite || !this.objects.has(key)) this.objects.set(key, value);
  }

  async remove(key: string): Promise<void> {
    this.objects.delete(key);
  }

  async close(): Promise<void> {}
}

const KEY = 'ab'.repeat(32);
const DIRECT = 'cd'.repeat(32);
const metadata = { stdout: '', stderr: 'warning: unused\n', exitCode: 0, durationMs: 900 };
const log = { warn: () => undefined, debug: () => undefined };

let root: string;
let counters: Counters;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'hoard-tiers-'));
  counters = emptyCounters();
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A "machine": its own local disk and manifests, and the remotes given. */
async function machine(name: string, remotes: RemoteLevel[], uploadQueueLimit?: number): Promise<TieredStore> {
  const queue = uploadQueueLimit ? { uploadQueueLimit, uploadConcurrency: 1 } : {};
  const memo = new DigestMemo();
  const local = new DiskStore(join(root, name, 'cache'), memo);
  await local.init();
  const manifests = new ManifestStore(join(root, name, 'cache', 'manifests'), memo);
  return new TieredStore({
    local,
    manifests,
    remotes,
    count: (change) => change(counters),
    log,
    compressionLevel: 3,
    ...queue,
  });
}

/** Compiles "demo" on a machine: outputs written, staged and committed under KEY, manifest added. */
async function compileAndStore(tiers: TieredStore, name: string, content = 'rlib bytes '.repeat(1000)): Promise<void> {
  const outDir = join(root, name, 'target');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'libdemo.rlib'), content);
  const source = join(root, name, 'lib.rs');
  writeFileSync(source, 'pub fn demo() {}');
  const staged = await tiers.local.stage(
    [{ name: 'libdemo.rlib', path: join(outDir, 'libdemo.rlib'), templated: false }],
    { outDir },
  );
  await tiers.commit(KEY, staged, metadata);
  await tiers.addManifest(DIRECT, { files: [['lib.rs', null]], envDeps: [], resultKey: KEY });
}

const anywhere = { path: (recorded: string) => join(root, 'nowhere', recorded), env: () => null };

describe('TieredStore', () => {
  it('uploads a new entry and its manifest to every writable remote in the background, never to a read-only one', async () => {
    const shared = new MemoryStorage('redis://shared');
    const mirror = new MemoryStorage('s3://mirror');
    const tiers = await machine('a', [
      { storage: mirror, readOnly: true },
      { storage: shared, readOnly: false },
    ]);
    await compileAndStore(tiers, 'a');
    expect(await tiers.drain(10_000)).toBe(true);
    expect([...shared.objects.keys()].sort()).toEqual([entryObjectKey(KEY), manifestObjectKey(DIRECT)]);
    expect(mirror.puts).toEqual([]);
    expect(counters.remoteUploads['redis://shared']).toBe(2);
    expect(counters.remoteBytesUp['redis://shared']).toBeGreaterThan(0);
    // Compressed: the repetitive output travels in far fewer bytes than it has.
    expect(shared.objects.get(entryObjectKey(KEY))!.byteLength).toBeLessThan(2000);
  });

  it('serves another machine from the remote: fetched once into its local disk, then local', async () => {
    const shared = new MemoryStorage('redis://shared');
    const a = await machine('a', [{ storage: shared, readOnly: false }]);
    await compileAndStore(a, 'a');
    await a.drain();
    const b = await machine('b', [{ storage: shared, readOnly: true }]);
    expect(await b.findResult(DIRECT, anywhere)).toBe(KEY);
    const [first, second] = await Promise.all([b.get(KEY), b.get(KEY)]);
    expect(first.status).toBe('hit');
    expect(second.status).toBe('hit');
    expect(shared.gets.filter((key) => key === entryObjectKey(KEY))).toHaveLength(1);
    expect(counters.remoteHits['redis://shared']).toBe(1);
    // From now on the local disk answers: no more remote reads.
    shared.gets.length = 0;
    expect(await b.findResult(DIRECT, anywhere)).toBe(KEY);
    expect((await b.get(KEY)).status).toBe('hit');
    expect(shared.gets).toEqual([]);
    if ((await b.get(KEY)).status !== 'hit') throw new Error('unreachable');
    const found = await b.local.get(KEY);
    if (found.status !== 'hit') throw new Error('no local hit');
    expect(readFileSync(join(found.found.dir, '0'), 'utf8')).toBe('rlib bytes '.repeat(1000));
  });

  it("restores a remote hit's blobs, just written from the checked object, without reading the copies back; later hits check every copy", async () => {
    const shared = new MemoryStorage('redis://shared');
    const a = await machine('a', [{ storage: shared, readOnly: false }]);
    await compileAndStore(a, 'a');
    await a.drain();
    const b = await machine('b', [{ storage: shared, readOnly: true }]);
    const outDir = join(root, 'b', 'target');
    const [first, second] = await Promise.all([b.get(KEY), b.get(KEY)]);
    for (const lookup of [first, second]) {
      if (lookup.status !== 'hit') throw new Error(`not a hit: ${lookup.status}`);
      expect(lookup.found.checkedInMemory).toBe(true);
      const plan = await b.local.planRestore(lookup.found, { outDir });
      expect(plan.files).toEqual([
        { path: join(outDir, 'libdemo.rlib'), mode: 0o644, from: join(lookup.found.dir, '0') },
      ]);
    }
    // From the local disk, the copy is checked against the digest recorded when the entry was made.
    const local = await b.get(KEY);
    if (local.status !== 'hit') throw new Error(`not a hit: ${local.status}`);
    expect(local.found.checkedInMemory).toBeUndefined();
    const plan = await b.local.planRestore(local.found, { outDir });
    expect(plan.files[0]).toMatchObject({ digest: local.found.entry.outputs[0]!.digest });
  });

  it('takes an object of a newer layout (a newer hoard wrote it) as a miss, not as damage to replace', async () => {
    const shared = new MemoryStorage('redis://shared');
    const a = await machine('a', [{ storage: shared, readOnly: false }]);
    await compileAndStore(a, 'a');
    await a.drain();
    const newer = Buffer.from(shared.objects.get(entryObjectKey(KEY))!);
    newer[8] = 9;
    shared.objects.set(entryObjectKey(KEY), newer);
    const warnings: string[] = [];
    const b = await machine('b', [{ storage: shared, readOnly: false }]);
    (b as unknown as { options: { log: TierLog } }).options.log = {
      warn: (message) => {
        warnings.push(message);
      },
      debug: () => undefined,
    };
    expect((await b.get(KEY)).status).toBe('miss');
    expect((await b.get(KEY)).status).toBe('miss');
    expect(counters.corruptObjects).toEqual({});
    expect(warnings).toEqual([
      expect.stringMatching(/redis:\/\/shared: an object of layout 9, newer than this hoard reads/),
    ]);
    // Its own store of the key is uploaded as an addition, which leaves the newer entry in place, and its
    // manifest is not merged into the newer one (which would drop what that holds).
    const newerManifest = Buffer.from(shared.objects.get(manifestObjectKey(DIRECT))!);
    newerManifest[8] = 9;
    shared.objects.set(manifestObjectKey(DIRECT), newerManifest);
    await compileAndStore(b, 'b');
    await b.drain();
    expect(shared.objects.get(entryObjectKey(KEY))![8]).toBe(9);
    expect(Buffer.from(shared.objects.get(manifestObjectKey(DIRECT))!).equals(newerManifest)).toBe(true);
  });

  it('checks the copies of an imported entry whose blobs were replaced before the request took it', async () => {
    const shared = new MemoryStorage('redis://shared');
    const a = await machine('a', [{ storage: shared, readOnly: false }]);
    await compileAndStore(a, 'a');
    await a.drain();
    const b = await machine('b', [{ storage: shared, readOnly: true }]);
    // The same key stored locally (a compile here) after the import wrote its blobs: not what the import wrote.
    const importEntry = b.local.importEntry.bind(b.local);
    b.local.importEntry = async (key, content, options) => {
      const imported = await importEntry(key, content, options);
      await b.local.remove(key);
      await compileAndStore(b, 'b');
      return imported;
    };
    const lookup = await b.get(KEY);
    if (lookup.status !== 'hit') throw new Error(`not a hit: ${lookup.status}`);
    expect(lookup.found.checkedInMemory).toBeUndefined();
    const plan = await b.local.planRestore(lookup.found, { outDir: join(root, 'b', 'elsewhere') });
    expect(plan.files[0]).toMatchObject({ digest: lookup.found.entry.outputs[0]!.digest });
  });

  it('fetches the entry a remote manifest names while the lookup checks the files, and counts its hit when a request takes it', async () => {
    const shared = new MemoryStorage('redis://shared');
    const a = await machine('a', [{ storage: shared, readOnly: false }]);
    await compileAndStore(a, 'a');
    await a.drain();
    const b = await machine('b', [{ storage: shared, readOnly: true }]);
    expect(await b.findResult(DIRECT, anywhere)).toBe(KEY);
    // Asked for before any request asked for the entry: the two waits overlap.
    await vi.waitFor(() => expect(shared.gets).toContain(entryObjectKey(KEY)));
    // Held until a request takes it: then written to the local disk, and counted.
    expect(counters.remoteHits).toEqual({});
    expect((await b.get(KEY)).status).toBe('hit');
    expect(counters.remoteHits).toEqual({ 'redis://shared': 1 });
    expect((await b.get(KEY)).status).toBe('hit');
    expect(counters.remoteHits).toEqual({ 'redis://shared': 1 });
    expect(shared.gets.filter((key) => key === entryObjectKey(KEY))).toHaveLength(1);
  });

  it('keeps nothing of an entry fetched ahead that the lookup did not choose, and never counts it as a remote hit', async () => {
    const shared = new MemoryStorage('redis://shared');
    const a = await machine('a', [{ storage: shared, readOnly: false }]);
    await compileAndStore(a, 'a');
    await a.drain();
    // The source file exists on machine b, with other content than the manifest recorded (none).
    const b = await machine('b', [{ storage: shared, readOnly: true }]);
    mkdirSync(join(root, 'b-src'), { recursive: true });
    writeFileSync(join(root, 'b-src', 'lib.rs'), 'pub fn changed() {}');
    const changed = { path: (recorded: string) => join(root, 'b-src', recorded), env: () => null };
    expect(await b.findResult(DIRECT, changed)).toBeUndefined();
    await vi.waitFor(() => expect(shared.gets).toContain(entryObjectKey(KEY)));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await b.local.get(KEY)).status).toBe('miss');
    expect(counters.remoteHits).toEqual({});
  });

  it('reads a damaged object fetched ahead once: counted once, and the request that asks for it gets a miss', async () => {
    const shared = new MemoryStorage('redis://shared');
    const a = await machine('a', [{ storage: shared, readOnly: false }]);
    await compileAndStore(a, 'a');
    await a.drain();
    const good = shared.objects.get(entryObjectKey(KEY))!;
    shared.objects.set(entryObjectKey(KEY), good.subarray(0, good.byteLength - 1));
    const b = await machine('b', [{ storage: shared, readOnly: true }]);
    expect(await b.findResult(DIRECT, anywhere)).toBe(KEY);
    expect((await b.get(KEY)).status).toBe('miss');
    expect(shared.gets.filter((key) => key === entryObjectKey(KEY))).toHaveLength(1);
    expect(counters.corruptObjects['redis://shared']).toBe(1);
  });

  it('asks the remotes in order and takes the first that has the entry', async () => {
    const empty = new MemoryStorage('first');
    const full = new MemoryStorage('second');
    const a = await machine('a', [{ storage: full, readOnly: false }]);
    await compileAndStore(a, 'a');
    await a.drain();
    const b = await machine('b', [
      { storage: empty, readOnly: true },
      { storage: full, readOnly: true },
    ]);
    expect((await b.get(KEY)).status).toBe('hit');
    expect(empty.gets).toEqual([entryObjectKey(KEY)]);
    expect(counters.remoteHits).toEqual({ second: 1 });
  });

  it('takes a failing remote as a miss on read and a dropped upload on write, and still fills the local disk', async () => {
    const broken = new MemoryStorage('redis://down');
    broken.failing = true;
    const tiers = await machine('a', [{ storage: broken, readOnly: false }]);
    expect(await tiers.findResult(DIRECT, anywhere)).toBeUndefined();
    expect((await tiers.get(KEY)).status).toBe('miss');
    await compileAndStore(tiers, 'a');
    await tiers.drain();
    expect((await tiers.local.get(KEY)).status).toBe('hit');
    // The manifest, the entry, and the remote's manifest an upload merges with: asked, and failed.
    expect(broken.gets).toHaveLength(3);
    expect(counters.uploadsDropped['redis://down']).toBe(2);
  });

  it('prepares no upload for a remote its guard leaves alone: nothing exported or compressed, the upload counted as dropped', async () => {
    const resting = Object.assign(new MemoryStorage('redis://resting'), { available: false });
    const tiers = await machine('a', [{ storage: resting, readOnly: false }]);
    const exported: string[] = [];
    const exportEntry = tiers.local.exportEntry.bind(tiers.local);
    tiers.local.exportEntry = async (key) => {
      exported.push(key);
      return exportEntry(key);
    };
    await compileAndStore(tiers, 'a');
    await tiers.drain();
    expect((await tiers.local.get(KEY)).status).toBe('hit');
    expect(exported).toEqual([]);
    expect(resting.puts).toEqual([]);
    expect(resting.gets).toEqual([]);
    expect(counters.uploadsDropped['redis://resting']).toBe(2);
  });

  it("leaves the counting of lookups and failures to the remote's guard: each failure is counted once", async () => {
    const broken = new MemoryStorage('redis://down');
    broken.failing = true;
    const guardCounters = emptyRemoteCounters();
    counters.remotes['redis://down'] = guardCounters;
    const guard = new GuardedStorage(broken, {
      kind: 'redis',
      readOnly: true,
      operationTimeoutMs: 1000,
      uploadTimeoutMs: 1000,
      coolOffMs: 0,
      counters: () => guardCounters,
      log: { warn: () => undefined, info: () => undefined },
    });
    const tiers = await machine('a', [{ storage: guard, readOnly: true }]);
    expect(await tiers.findResult(DIRECT, anywhere)).toBeUndefined();
    expect((await tiers.get(KEY)).status).toBe('miss');
    expect(guardCounters).toMatchObject({ timeouts: 2, hits: 0, misses: 0 });
    // Nowhere else: no counter of the tier's names the remote.
    const { remotes: _remotes, ...rest } = counters;
    expect(JSON.stringify(rest)).not.toContain('redis://down');
  });

  it('a read-only remote never stops the local disk from filling', async () => {
    const readOnly = new MemoryStorage('s3://team');
    const tiers = await machine('a', [{ storage: readOnly, readOnly: true }]);
    await compileAndStore(tiers, 'a');
    expect((await tiers.local.get(KEY)).status).toBe('hit');
    expect(await tiers.findResult(DIRECT, anywhere)).toBe(KEY);
    expect(readOnly.puts).toEqual([]);
    expect(tiers.uploadQueueLength).toBe(0);
  });

  it('never lets a truncated, corrupt or misplaced object reach the local disk, and counts each', async () => {
    const shared = new MemoryStorage('redis://shared');
    const a = await machine('a', [{ storage: shared, readOnly: false }]);
    await compileAndStore(a, 'a');
    await a.drain();
    const good = shared.objects.get(entryObjectKey(KEY))!;
    const otherKey = 'ef'.repeat(32);
    const bad: Array<[string, Uint8Array]> = [
      ['truncated', good.subarray(0, good.byteLength - 10)],
      ['flipped', Buffer.from(good).fill(0x55, 60, 61)],
      ['empty', new Uint8Array()],
    ];
    for (const [name, value] of bad) {
      shared.objects.set(entryObjectKey(KEY), value);
      const b = await machine(`b-${name}`, [{ storage: shared, readOnly: true }]);
      expect((await b.get(KEY)).status).toBe('miss');
      expect(b.local.entryCount).toBe(0);
    }
    // A valid object, but the one of another key: the key is bound into what is verified.
    shared.objects.set(entryObjectKey(otherKey), good);
    const c = await machine('c', [{ storage: shared, readOnly: true }]);
    expect((await c.get(otherKey)).status).toBe('miss');
    expect(counters.corruptObjects['redis://shared']).toBe(4);
    expect(counters.errors['corrupt-object']).toBe(4);
    expect(counters.remoteHits).toEqual({});
  });

  it('replaces a damaged object on a remote that keeps what it has (Redis SET NX) once the compile is stored again', async () => {
    const shared = new MemoryStorage('redis://shared');
    shared.objects.set(entryObjectKey(KEY), Buffer.from('not an entry object'));
    const b = await machine('b', [{ storage: shared, readOnly: false }]);
    expect((await b.get(KEY)).status).toBe('miss');
    await compileAndStore(b, 'b');
    await b.drain();
    const c = await machine('c', [{ storage: shared, readOnly: true }]);
    expect((await c.get(KEY)).status).toBe('hit');
    expect(counters.remoteHits['redis://shared']).toBe(1);
  });

  it('refuses a well-formed object whose entry records a failed compile', async () => {
    const shared = new MemoryStorage('redis://shared');
    const a = await machine('a', [{ storage: shared, readOnly: false }]);
    await compileAndStore(a, 'a');
    await a.drain();
    const content = await decodeEntryObject(KEY, shared.objects.get(entryObjectKey(KEY))!);
    // Re-wrapped with a correct object digest (as a writer with access could): the entry's own seal still refuses it.
    const forged = await encodeEntryObject(KEY, { ...content, entry: { ...content.entry, exitCode: 1 } }, 1);
    shared.objects.set(entryObjectKey(KEY), forged);
    const b = await machine('b', [{ storage: shared, readOnly: true }]);
    expect((await b.get(KEY)).status).toBe('miss');
    expect(counters.corruptObjects['redis://shared']).toBe(1);
  });

  it('bounds the upload queue: what does not fit is dropped and counted, and the reply never waits', async () => {
    const slow = new MemoryStorage('redis://slow');
    let open!: () => void;
    slow.gate = new Promise((resolve) => (open = resolve));
    const tiers = await machine('a', [{ storage: slow, readOnly: false }], 1);
    // commit and addManifest return while the uploads wait on the gate.
    await compileAndStore(tiers, 'a');
    await compileAndStore(tiers, 'a', 'another');
    expect(tiers.uploadQueueLength).toBeGreaterThan(0);
    expect(counters.uploadsDropped['queue-full']).toBeGreaterThan(0);
    open();
    expect(await tiers.drain(10_000)).toBe(true);
    expect(tiers.uploadQueueLength).toBe(0);
  });

  it('merges manifests: two machines adding to one direct key both keep theirs', async () => {
    const shared = new MemoryStorage('redis://shared');
    const a = await machine('a', [{ storage: shared, readOnly: false }]);
    const b = await machine('b', [{ storage: shared, readOnly: false }]);
    await a.addManifest(DIRECT, { files: [], envDeps: [['A', '1']], resultKey: '11'.repeat(32) });
    await a.drain();
    await b.addManifest(DIRECT, { files: [], envDeps: [['A', '2']], resultKey: '22'.repeat(32) });
    await b.drain();
    const c = await machine('c', [{ storage: shared, readOnly: true }]);
    expect(await c.findResult(DIRECT, { path: (path) => path, env: () => '1' })).toBe('11'.repeat(32));
    expect(await c.findResult(DIRECT, { path: (path) => path, env: () => '2' })).toBe('22'.repeat(32));
  });

  it('takes a new list of remotes live, and closes a storage no longer in it once the queued uploads are done', async () => {
    const old = new MemoryStorage('redis://old');
    let closed = false;
    old.close = async () => {
      closed = true;
    };
    const next = new MemoryStorage('redis://new');
    const tiers = await machine('a', [{ storage: old, readOnly: false }]);
    tiers.configure({ remotes: [{ storage: next, readOnly: false }] });
    await compileAndStore(tiers, 'a');
    await tiers.drain();
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(true);
    expect(old.puts).toEqual([]);
    expect([...next.objects.keys()].sort()).toEqual([entryObjectKey(KEY), manifestObjectKey(DIRECT)]);
  });
});
