import { execFileSync, spawnSync } from 'node:child_process';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileIdentity } from '../../src/fs/file-identity.js';
import {
  artifactDigests,
  createSandbox,
  expectSuccess,
  requireBuiltAndInstalled,
  type Sandbox,
} from '../e2e/harness.js';

/*
 * Bit rot as a disk does it: the cache on an ext4 image, one bit of a cached rlib flipped in the image
 * while it is unmounted. Device, inode, size, mtime and ctime stay as they were, so nothing but the
 * bytes tells. Needs root, a loop device and e2fsprogs (CI runs as root); skipped otherwise.
 */

function can(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

const skipWhy =
  process.getuid?.() !== 0
    ? 'not root: cannot mount a loop device'
    : !can('debugfs', ['-V']) || !can('mkfs.ext4', ['-V'])
      ? 'e2fsprogs (debugfs, mkfs.ext4) not installed'
      : undefined;

describe.skipIf(skipWhy !== undefined)(
  `bit rot under an unchanged file identity${skipWhy ? ` (skipped: ${skipWhy})` : ''}`,
  () => {
    let sandbox: Sandbox;
    let project: string;
    let image: string;
    let mounted = false;
    let baseline: Map<string, string>;

    const cacheMount = (): string => join(sandbox.root, 'cache');
    const mount = (): void => {
      execFileSync('mount', ['-o', 'loop', image, cacheMount()]);
      mounted = true;
    };
    const unmount = (): void => {
      execFileSync('umount', [cacheMount()]);
      mounted = false;
    };

    beforeAll(async () => {
      requireBuiltAndInstalled('workspace');
      sandbox = createSandbox();
      image = join(mkdtempSync(join(tmpdir(), 'hoard-ext4-')), 'cache.img');
      execFileSync('truncate', ['-s', '1G', image]);
      execFileSync('mkfs.ext4', ['-q', '-b', '4096', image]);
      mount();
      project = sandbox.project('workspace');
      expectSuccess(await sandbox.cargo(project, ['build'], { RUSTC_WRAPPER: undefined }), 'uncached build');
      baseline = artifactDigests(project);
      expectSuccess(await sandbox.cargo(project, ['clean']), 'cargo clean');
      expectSuccess(await sandbox.cargo(project, ['build']), 'cold build');
    });

    afterAll(async () => {
      await sandbox?.hoard(['server', 'stop']);
      if (mounted) unmount();
      if (image) rmSync(join(image, '..'), { recursive: true, force: true });
      await sandbox?.dispose();
    });

    it('is caught as the rlib is restored: counted, compiled, replaced, and the next build hits', async () => {
      const entries = join(cacheMount(), 'hoard', 'entries');
      let blob: string | undefined;
      for (let attempt = 0; attempt < 100 && !blob; attempt += 1) {
        for (const shard of readdirSync(entries)) {
          for (const key of readdirSync(join(entries, shard))) {
            const entry = JSON.parse(readFileSync(join(entries, shard, key, 'entry.json'), 'utf8')) as {
              outputs: Array<{ name: string }>;
            };
            const index = entry.outputs.findIndex((output) => /^libwt_util-.*\.rlib$/.test(output.name));
            if (index >= 0) blob = join(entries, shard, key, String(index));
          }
        }
        if (!blob) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      if (!blob) throw new Error('no entry holds the wt-util rlib');
      const identity = fileIdentity(statSync(blob, { bigint: true }));
      const inImage = `/${blob.slice(cacheMount().length + 1)}`;

      // The server is stopped and the file system unmounted, as a machine is shut down.
      expectSuccess(await sandbox.hoard(['server', 'stop']), 'hoard server stop');
      unmount();
      const blocks = execFileSync('debugfs', ['-R', `blocks ${inImage}`, image], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      })
        .trim()
        .split(/\s+/)
        .map(Number);
      expect(blocks.length).toBeGreaterThan(0);
      const at = blocks[Math.floor(blocks.length / 2)]! * 4096 + 100;
      const descriptor = openSync(image, 'r+');
      const byte = Buffer.alloc(1);
      readSync(descriptor, byte, 0, 1, at);
      byte[0] = byte[0]! ^ 0x04;
      writeSync(descriptor, byte, 0, 1, at);
      closeSync(descriptor);
      mount();
      // Only the bytes changed: the identity the store recorded is the one the blob still has.
      expect(fileIdentity(statSync(blob, { bigint: true }))).toBe(identity);

      expectSuccess(await sandbox.cargo(project, ['clean']), 'cargo clean');
      const before = (await sandbox.stats()).counters;
      expectSuccess(await sandbox.cargo(project, ['build']), 'build over the rotten rlib');
      expect(artifactDigests(project)).toEqual(baseline);
      const after = (await sandbox.stats()).counters;
      expect((after.errors['corrupt-entry'] ?? 0) - (before.errors['corrupt-entry'] ?? 0)).toBe(1);
      expect(after.misses - before.misses).toBe(1);

      expectSuccess(await sandbox.cargo(project, ['clean']), 'cargo clean');
      const beforeNext = (await sandbox.stats()).counters;
      expectSuccess(await sandbox.cargo(project, ['build']), 'build after the entry was replaced');
      expect(artifactDigests(project)).toEqual(baseline);
      const afterNext = (await sandbox.stats()).counters;
      expect(afterNext.misses).toBe(beforeNext.misses);
      expect(afterNext.hits - beforeNext.hits).toBeGreaterThan(0);
    });
  },
);
