import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
  existsSync,
  utimesSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { DigestMemo } from '../hash/digest-memo.js';
import { digestFile } from '../hash/blake3.js';
import { restoreFiles } from '../wrapper/restore-files.js';
import type { RestoreFile } from '../protocol/messages.js';
import { fileIdentity } from '../fs/file-identity.js';
import { DiskStore, type FoundEntry } from './disk-store.js';
import type { BuildPlaces } from './path-template.js';

let root: string;
let outDir: string;
let store: DiskStore;

const metadata = { stdout: '', stderr: '', exitCode: 0, durationMs: 1200 };

function makeOutputs(dir: string, content: string) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'libdemo.rlib'), `rlib ${content}`);
  writeFileSync(join(dir, 'demo.d'), `${dir}/libdemo.rlib: src/lib.rs\n`);
  return [
    { name: 'libdemo.rlib', path: join(dir, 'libdemo.rlib'), templated: false },
    { name: 'demo.d', path: join(dir, 'demo.d'), templated: true },
  ];
}

/** A hit as the server and the wrapper carry it out: plan, write (the wrapper's code), report. Returns the bytes written. */
async function restore(
  into: DiskStore,
  found: FoundEntry,
  places: BuildPlaces,
  overrides?: RestoreFile[],
): Promise<number> {
  const plan = await into.planRestore(found, places, overrides);
  into.restored(plan, restoreFiles(plan.files));
  return plan.bytes;
}

/** A store whose memo records every file it hashes. */
async function countingStore(): Promise<{ hashed: string[]; memo: DigestMemo; counting: DiskStore }> {
  const hashed: string[] = [];
  const memo = new DigestMemo(1000, (path, size) => {
    hashed.push(path);
    return digestFile(path, size);
  });
  const counting = new DiskStore(join(root, 'counted'), memo);
  await counting.init();
  return { hashed, memo, counting };
}

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'hoard-store-'));
  outDir = join(root, 'target-a', 'deps');
  store = new DiskStore(join(root, 'cache'), new DigestMemo());
  await store.init();
});

describe('DiskStore', () => {
  it('stores outputs and restores them into another out-dir, rewriting the out-dir in text outputs', async () => {
    const bytes = await store.put('ab'.repeat(32), makeOutputs(outDir, 'one'), metadata, { outDir });
    expect(bytes).toBeGreaterThan(0);
    expect(store.entryCount).toBe(1);
    const lookup = await store.get('ab'.repeat(32));
    expect(lookup.status).toBe('hit');
    if (lookup.status !== 'hit') return;
    const otherOut = join(root, 'target-b', 'deps');
    await restore(store, lookup.found, { outDir: otherOut });
    expect(readFileSync(join(otherOut, 'libdemo.rlib'), 'utf8')).toBe('rlib one');
    expect(readFileSync(join(otherOut, 'demo.d'), 'utf8')).toBe(`${otherOut}/libdemo.rlib: src/lib.rs\n`);
  });

  it('misses on an unknown key', async () => {
    expect((await store.get('cd'.repeat(32))).status).toBe('miss');
  });

  it('counts a blob changed on disk as corrupt, removes the entry, and then misses', async () => {
    const key = 'ef'.repeat(32);
    await store.put(key, makeOutputs(outDir, 'two'), metadata, { outDir });
    const blob = join(root, 'cache', 'entries', 'ef', key, '0');
    writeFileSync(blob, 'rlib tw0');
    const lookup = await store.get(key);
    expect(lookup).toMatchObject({ status: 'corrupt', why: expect.stringContaining('digest') });
    expect(existsSync(join(root, 'cache', 'entries', 'ef', key))).toBe(false);
    expect(store.entryCount).toBe(0);
    expect((await store.get(key)).status).toBe('miss');
  });

  it('hashes each blob once: known to dependents after commit, trusted by identity on read, known after restore', async () => {
    const { hashed, memo, counting } = await countingStore();
    const key = '34'.repeat(32);
    await counting.put(key, makeOutputs(outDir, 'three'), metadata, { outDir });
    // The commit hashed the staged copy and told the memo: the compile's own rlib, which dependents'
    // keys digest as an extern, is not read again.
    expect(hashed).toEqual([]);
    expect(await memo.digest(join(outDir, 'libdemo.rlib'))).toBe(await digestFile(join(outDir, 'libdemo.rlib')));
    expect(hashed).toEqual([]);
    const lookup = await counting.get(key);
    if (lookup.status !== 'hit') throw new Error('expected a hit');
    expect(hashed).toEqual([]);
    // A restored file's digest comes from the entry, not from reading it again.
    const elsewhere = join(root, 'target-b', 'deps');
    await restore(counting, lookup.found, { outDir: elsewhere });
    expect(await memo.digest(join(elsewhere, 'libdemo.rlib'))).toBe(await digestFile(join(elsewhere, 'libdemo.rlib')));
    expect(hashed).toEqual([]);
    // Restoring again where the same outputs already are writes nothing, the templated dep-info included.
    const rlib = join(elsewhere, 'libdemo.rlib');
    const written = lookup.found.entry.outputs.map((output) => statSync(join(elsewhere, output.name)).ino);
    expect(await restore(counting, lookup.found, { outDir: elsewhere })).toBe(0);
    expect(lookup.found.entry.outputs.map((output) => statSync(join(elsewhere, output.name)).ino)).toEqual(written);
    expect(lookup.found.entry.outputs.some((output) => output.templated)).toBe(true);
    // Anything else there (here: edited by hand) is replaced.
    writeFileSync(rlib, 'rlib edited');
    const depInfo = join(elsewhere, lookup.found.entry.outputs.find((output) => output.templated)!.name);
    const rendered = readFileSync(depInfo, 'utf8');
    writeFileSync(depInfo, 'edited');
    await restore(counting, lookup.found, { outDir: elsewhere });
    expect(readFileSync(rlib, 'utf8')).toBe('rlib three');
    expect(readFileSync(depInfo, 'utf8')).toBe(rendered);
    expect(hashed).toEqual([]);
    // A blob rewritten with the same bytes has a new identity: hashed again, and still a hit.
    const blob = join(root, 'counted', 'entries', '34', key, '0');
    writeFileSync(blob, readFileSync(blob));
    expect((await counting.get(key)).status).toBe('hit');
    expect(hashed).toEqual([blob]);
  });

  it('is told the digest of a restored copy only while the file is the one the wrapper wrote', async () => {
    const { hashed, memo, counting } = await countingStore();
    const key = '56'.repeat(32);
    await counting.put(key, makeOutputs(outDir, 'four'), metadata, { outDir });
    const lookup = await counting.get(key);
    if (lookup.status !== 'hit') throw new Error('expected a hit');
    const elsewhere = join(root, 'target-c', 'deps');
    const plan = await counting.planRestore(lookup.found, { outDir: elsewhere });
    const identities = restoreFiles(plan.files);
    // Replaced between the wrapper's write and its report: the entry's digest would be wrong for it.
    const rlib = join(elsewhere, 'libdemo.rlib');
    writeFileSync(`${rlib}.new`, 'rlib else');
    renameSync(`${rlib}.new`, rlib);
    counting.restored(plan, identities);
    expect(await memo.digest(rlib)).toBe(await digestFile(rlib));
    expect(hashed).toEqual([rlib]);
  });

  it('writes an override instead of the output at the same path', async () => {
    const key = '78'.repeat(32);
    await store.put(key, makeOutputs(outDir, 'five'), metadata, { outDir });
    const lookup = await store.get(key);
    if (lookup.status !== 'hit') throw new Error('expected a hit');
    const elsewhere = join(root, 'target-d', 'deps');
    const depInfo = join(elsewhere, 'demo.d');
    await restore(store, lookup.found, { outDir: elsewhere }, [{ path: depInfo, text: "this compile's own\n" }]);
    expect(readFileSync(depInfo, 'utf8')).toBe("this compile's own\n");
    expect(readFileSync(join(elsewhere, 'libdemo.rlib'), 'utf8')).toBe('rlib five');
  });

  it('treats an unreadable entry.json as corrupt', async () => {
    const key = '12'.repeat(32);
    await store.put(key, makeOutputs(outDir, 'three'), metadata, { outDir });
    writeFileSync(join(root, 'cache', 'entries', '12', key, 'entry.json'), '{"format": 1, "outputs": "nope"}');
    expect((await store.get(key)).status).toBe('corrupt');
  });

  it('refuses an entry whose seal does not match (exit status, stderr, mode, output name, another key) or that records a failure', async () => {
    const key = '34'.repeat(32);
    const entryJson = join(root, 'cache', 'entries', '34', key, 'entry.json');
    const flips: Array<(entry: Record<string, any>) => void> = [
      (entry) => (entry.exitCode = 1),
      (entry) => (entry.stderr = Buffer.from('warning: x').toString('base64')),
      (entry) => (entry.outputs[0].mode = 0o777),
      (entry) => (entry.outputs[0].name = 'libother.rlib'),
    ];
    for (const flip of flips) {
      await store.put(key, makeOutputs(outDir, 'sealed'), metadata, { outDir });
      const entry = JSON.parse(readFileSync(entryJson, 'utf8'));
      flip(entry);
      writeFileSync(entryJson, JSON.stringify(entry));
      expect(await store.get(key)).toMatchObject({ status: 'corrupt', why: expect.stringContaining('seal') });
      expect(existsSync(entryJson)).toBe(false);
    }
    // An intact entry moved under another key: the key is sealed too.
    await store.put(key, makeOutputs(outDir, 'sealed'), metadata, { outDir });
    const other = '35'.repeat(32);
    mkdirSync(join(root, 'cache', 'entries', '35'), { recursive: true });
    renameSync(join(root, 'cache', 'entries', '34', key), join(root, 'cache', 'entries', '35', other));
    expect(await store.get(other)).toMatchObject({ status: 'corrupt', why: expect.stringContaining('another key') });
    // A failed compile, sealed as such, is still refused.
    await store.put(key, makeOutputs(outDir, 'failed'), { ...metadata, exitCode: 1 }, { outDir });
    expect(await store.get(key)).toMatchObject({ status: 'corrupt', why: expect.stringContaining('exit status 1') });
  });

  it('replaces an entry damaged under an unchanged identity when the same result is stored again, and keeps an intact one', async () => {
    const key = '56'.repeat(32);
    await store.put(key, makeOutputs(outDir, 'good'), metadata, { outDir });
    const blob = join(root, 'cache', 'entries', '56', key, '0');
    const entryJson = join(root, 'cache', 'entries', '56', key, 'entry.json');
    const intact = statSync(blob).ino;
    // Storing it again keeps the intact entry.
    expect(await store.put(key, makeOutputs(outDir, 'good'), metadata, { outDir })).toBe(0);
    expect(statSync(blob).ino).toBe(intact);
    // Damaged, with the damage's identity recorded (as bit rot would leave it): the read trusts the identity...
    writeFileSync(blob, 'rlib g0od');
    const entry = JSON.parse(readFileSync(entryJson, 'utf8'));
    entry.outputs[0].identity = fileIdentity(statSync(blob, { bigint: true }));
    writeFileSync(entryJson, JSON.stringify(entry));
    expect((await store.get(key)).status).toBe('hit');
    // ...and the store of the same result replaces it.
    expect(await store.put(key, makeOutputs(outDir, 'good'), metadata, { outDir })).toBeGreaterThan(0);
    expect(readFileSync(blob, 'utf8')).toBe('rlib good');
  });

  it('refuses to render a damaged text output (a dep-info the server writes, not the wrapper)', async () => {
    const key = '9a'.repeat(32);
    await store.put(key, makeOutputs(outDir, 'text'), metadata, { outDir });
    const found = await store.get(key);
    if (found.status !== 'hit') throw new Error('no hit');
    const blob = join(found.found.dir, '1');
    writeFileSync(blob, readFileSync(blob, 'utf8').replace('src/lib.rs', 'src/lib.rz'));
    await expect(store.planRestore(found.found, { outDir: join(root, 'target-c') })).rejects.toThrow(
      /demo\.d does not match its digest/,
    );
  });

  it('exports an entry with its bytes and imports it into another store as the same entry', async () => {
    const key = '78'.repeat(32);
    await store.put(key, makeOutputs(outDir, 'travels'), metadata, { outDir });
    const content = await store.exportEntry(key);
    expect(content?.blobs.map((blob) => blob.toString('utf8'))).toEqual([
      'rlib travels',
      expect.stringContaining('libdemo.rlib'),
    ]);
    const other = new DiskStore(join(root, 'other'), new DigestMemo());
    await other.init();
    expect((await other.importEntry(key, content!)).bytes).toBeGreaterThan(0);
    const found = await other.get(key);
    if (found.status !== 'hit') throw new Error(`not a hit: ${found.status}`);
    await restore(other, found.found, { outDir: join(root, 'target-b') });
    expect(readFileSync(join(root, 'target-b', 'libdemo.rlib'), 'utf8')).toBe('rlib travels');
    // A blob damaged on disk is never exported.
    writeFileSync(join(root, 'cache', 'entries', '78', key, '0'), 'rlib trave1s');
    expect(await store.exportEntry(key)).toBeUndefined();
  });

  it('evicts least recently used entries down to the target size', async () => {
    const keys = ['a1', 'b2', 'c3'].map((prefix) => prefix.repeat(32));
    for (const [index, key] of keys.entries()) {
      await store.put(key, makeOutputs(join(root, `o${index}`), 'x'.repeat(1000)), metadata, {
        outDir: join(root, `o${index}`),
      });
    }
    // Use the first entry so that the second is now the least recently used.
    const first = await store.get(keys[0]!);
    if (first.status === 'hit') await restore(store, first.found, { outDir: join(root, 'restored') });
    const oneEntry = store.sizeBytes / 3;
    const { removed } = await store.evict(Math.ceil(oneEntry * 2));
    expect(removed).toBe(1);
    expect((await store.get(keys[1]!)).status).toBe('miss');
    expect((await store.get(keys[0]!)).status).toBe('hit');
    expect((await store.get(keys[2]!)).status).toBe('hit');
  });

  it('measures the entries already on disk when a new server opens the store', async () => {
    const key = '34'.repeat(32);
    await store.put(key, makeOutputs(outDir, 'four'), metadata, { outDir });
    const old = Date.now() / 1000 - 3600;
    utimesSync(join(root, 'cache', 'entries', '34', key, 'entry.json'), old, old);
    const reopened = new DiskStore(join(root, 'cache'), new DigestMemo());
    await reopened.init();
    await reopened.measure();
    expect(reopened.entryCount).toBe(1);
    expect(reopened.sizeBytes).toBe(store.sizeBytes);
    expect(statSync(join(root, 'cache', 'entries', '34', key, 'entry.json')).mtimeMs).toBeLessThan(
      Date.now() - 1000_000,
    );
  });
});
