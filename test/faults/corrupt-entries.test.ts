import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileIdentity } from '../../src/fs/file-identity.js';
import type { Counters } from '../../src/stats/counters.js';
import { createSandbox, expectSuccess, requireBuiltAndInstalled, type Sandbox } from '../e2e/harness.js';

/*
 * A damaged cache never puts a wrong artifact into target/ and never fails a build: the damaged entry
 * is counted, the crate compiled, and the entry replaced, so the very next build hits it again.
 */

const FIXTURE = 'workspace';

interface EntryOnDisk {
  dir: string;
  json: {
    outputs: Array<{ name: string; mode: number; identity?: string }>;
    stderr: string;
    exitCode: number;
  } & Record<string, unknown>;
}

/** Every file rustc and cargo left in target/debug/{deps,build}: its digest and permissions. */
function artifacts(project: string): Map<string, string> {
  const profile = join(project, 'target', 'debug');
  const found = new Map<string, string>();
  for (const top of ['deps', 'build']) {
    for (const entry of readdirSync(join(profile, top), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath, entry.name);
      const mode = (statSync(path).mode & 0o777).toString(8);
      found.set(relative(profile, path), `${createHash('sha256').update(readFileSync(path)).digest('hex')} ${mode}`);
    }
  }
  return new Map([...found].sort(([a], [b]) => (a < b ? -1 : 1)));
}

describe('a damaged cache entry', () => {
  let sandbox: Sandbox;
  let project: string;
  let baseline: Map<string, string>;
  let entriesDir: string;

  /** The entry one of whose outputs matches `pattern`; the last compiles of a build are committed just after it ends. */
  async function entryWith(pattern: RegExp): Promise<EntryOnDisk> {
    for (let attempt = 0; attempt < 100; attempt += 1) {
      const found = findEntry(pattern);
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`no entry has an output matching ${pattern}`);
  }

  function findEntry(pattern: RegExp): EntryOnDisk | undefined {
    for (const shard of readdirSync(entriesDir)) {
      for (const key of readdirSync(join(entriesDir, shard))) {
        const dir = join(entriesDir, shard, key);
        const json = JSON.parse(readFileSync(join(dir, 'entry.json'), 'utf8')) as EntryOnDisk['json'];
        if (json.outputs.some((output) => pattern.test(output.name))) return { dir, json };
      }
    }
    return undefined;
  }

  function rewrite(entry: EntryOnDisk, change: (json: EntryOnDisk['json']) => void): void {
    change(entry.json);
    writeFileSync(join(entry.dir, 'entry.json'), JSON.stringify(entry.json));
  }

  /** cargo clean, then a build that must succeed and leave exactly what an uncached build left. */
  async function cleanBuild(what: string): Promise<{ before: Counters; after: Counters; stderr: string }> {
    expectSuccess(await sandbox.cargo(project, ['clean']), 'cargo clean');
    const before = (await sandbox.stats()).counters;
    const build = await sandbox.cargo(project, ['build']);
    expectSuccess(build, what);
    expect(artifacts(project)).toEqual(baseline);
    return { before, after: (await sandbox.stats()).counters, stderr: build.stderr };
  }

  const corrupt = (counters: Counters): number => counters.errors['corrupt-entry'] ?? 0;

  beforeAll(async () => {
    requireBuiltAndInstalled(FIXTURE);
    sandbox = createSandbox();
    project = sandbox.project(FIXTURE);
    expectSuccess(await sandbox.cargo(project, ['build'], { RUSTC_WRAPPER: undefined }), 'uncached build');
    baseline = artifacts(project);
    expectSuccess(await sandbox.cargo(project, ['clean']), 'cargo clean');
    expectSuccess(await sandbox.cargo(project, ['build']), 'cold build');
    entriesDir = join(sandbox.root, 'cache', 'hoard', 'entries');
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('a flipped byte in a blob whose file identity is as recorded is caught as it is restored, and replaced', async () => {
    const entry = await entryWith(/^libwt_util-.*\.rlib$/);
    const index = entry.json.outputs.findIndex((output) => /\.rlib$/.test(output.name));
    const blob = join(entry.dir, String(index));
    // One byte flipped in place: same size, same inode. Writing moves mtime and ctime, which no tool can
    // set back; recording the blob's new identity in entry.json gives what bit rot leaves (the same
    // device, inode, size and times as recorded, other bytes), without a loop device.
    const middle = Math.floor(statSync(blob).size / 2);
    const descriptor = openSync(blob, 'r+');
    const byte = Buffer.alloc(1);
    readSync(descriptor, byte, 0, 1, middle);
    byte[0] = byte[0]! ^ 0x20;
    writeSync(descriptor, byte, 0, 1, middle);
    closeSync(descriptor);
    rewrite(entry, (json) => {
      json.outputs[index]!.identity = fileIdentity(statSync(blob, { bigint: true }));
    });

    const { before, after } = await cleanBuild('build over a rotten blob');
    expect(corrupt(after) - corrupt(before)).toBe(1);
    expect(after.misses - before.misses).toBe(1);

    // Replaced: the very next build hits every crate again.
    const next = await cleanBuild('build after the entry was replaced');
    expect(next.after.misses).toBe(next.before.misses);
    expect(corrupt(next.after)).toBe(corrupt(next.before));
  });

  const flips: Array<[string, RegExp, (json: EntryOnDisk['json']) => void, (stderr: string) => void]> = [
    ['its exit status 0 → 1', /^libwt_core-.*\.rlib$/, (json) => (json.exitCode = 1), () => undefined],
    [
      'a character of its stderr',
      /^libwt_util-.*\.rlib$/,
      (json) => {
        const injected = JSON.stringify({
          $message_type: 'diagnostic',
          message: 'INJECTED',
          code: null,
          level: 'warning',
          spans: [],
          children: [],
          rendered: 'warning: INJECTED\n',
        });
        json.stderr = Buffer.from(`${Buffer.from(json.stderr, 'base64').toString('utf8')}${injected}\n`).toString(
          'base64',
        );
      },
      (stderr) => expect(stderr).not.toContain('INJECTED'),
    ],
    [
      'the mode of an output',
      /^wt_app-[0-9a-f]+$/,
      (json) => {
        for (const output of json.outputs) if (/^wt_app-[0-9a-f]+$/.test(output.name)) output.mode = 0o644;
      },
      () => undefined,
    ],
    [
      'the name of an output',
      /^libwt_app-.*\.rlib$/,
      (json) => {
        for (const output of json.outputs)
          if (output.name.endsWith('.rlib')) output.name = output.name.replace(/\.rlib$/, '.rlix');
      },
      () => undefined,
    ],
  ];

  for (const [what, pattern, flip, check] of flips) {
    it(`an entry.json with ${what} is refused, counted, compiled and replaced`, async () => {
      rewrite(await entryWith(pattern), flip);
      const { before, after, stderr } = await cleanBuild(`build over an entry with ${what}`);
      check(stderr);
      expect(corrupt(after) - corrupt(before)).toBe(1);
      expect(after.misses - before.misses).toBe(1);
      const next = await cleanBuild(`build after the entry with ${what} was replaced`);
      expect(next.after.misses).toBe(next.before.misses);
    });
  }
});
