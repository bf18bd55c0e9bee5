import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contentDigest } from '../fs/content-hash.js';
import { fileIdentity } from '../fs/file-identity.js';
import { restoreFilesAsync } from './restore-files-async.js';
import { CorruptCopy } from './restore-files.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hoard-restore-async-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const digest = (bytes: Buffer | string): string => contentDigest(Buffer.from(bytes));

describe('restoreFilesAsync: a hit written by the server', () => {
  it('copies blobs checked against their digest and writes texts, with their modes, and reports what it wrote', async () => {
    writeFileSync(join(dir, 'blob'), 'binary');
    const identities = await restoreFilesAsync([
      { path: join(dir, 'build_script_build'), mode: 0o755, from: join(dir, 'blob'), digest: digest('binary') },
      { path: join(dir, 'demo.d'), mode: 0o600, text: 'demo.d: src/lib.rs\n' },
    ]);
    expect(readFileSync(join(dir, 'build_script_build'), 'utf8')).toBe('binary');
    expect(statSync(join(dir, 'build_script_build')).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(dir, 'demo.d'), 'utf8')).toBe('demo.d: src/lib.rs\n');
    expect(statSync(join(dir, 'demo.d')).mode & 0o777).toBe(0o600);
    expect(identities).toEqual(
      [join(dir, 'build_script_build'), join(dir, 'demo.d')].map((path) =>
        fileIdentity(statSync(path, { bigint: true })),
      ),
    );
  });

  it('refuses a copy that does not match its digest, leaving what was there and no temporary file', async () => {
    writeFileSync(join(dir, 'blob'), 'rotten');
    writeFileSync(join(dir, 'libdemo.rlib'), 'before');
    await expect(
      restoreFilesAsync([
        { path: join(dir, 'libdemo.rlib'), mode: 0o644, from: join(dir, 'blob'), digest: digest('fresh') },
      ]),
    ).rejects.toBeInstanceOf(CorruptCopy);
    expect(readFileSync(join(dir, 'libdemo.rlib'), 'utf8')).toBe('before');
    expect(readdirSync(dir).sort()).toEqual(['blob', 'libdemo.rlib']);
  });

  it('refuses a large blob damaged past its first chunks, with nothing put in place and no temporary file', async () => {
    const bytes = Buffer.alloc(5 << 20, 3);
    const damaged = Buffer.from(bytes);
    damaged[(4 << 20) + 99] = 4;
    writeFileSync(join(dir, 'blob'), damaged);
    writeFileSync(join(dir, 'small'), 'rmeta');
    await expect(
      restoreFilesAsync([
        { path: join(dir, 'libdemo.rlib'), mode: 0o644, from: join(dir, 'blob'), digest: digest(bytes) },
        { path: join(dir, 'libdemo.rmeta'), mode: 0o644, from: join(dir, 'small'), digest: digest('rmeta') },
      ]),
    ).rejects.toBeInstanceOf(CorruptCopy);
    // The sound file beside it may land (a restore that fails is followed by a compile that rewrites both).
    expect(
      readdirSync(dir)
        .filter((name) => name !== 'libdemo.rmeta')
        .sort(),
    ).toEqual(['blob', 'small']);
  });

  it('lets the event loop turn while a large file is copied and checked', async () => {
    const bytes = Buffer.alloc(48 << 20, 7);
    writeFileSync(join(dir, 'blob'), bytes);
    let turns = 0;
    let done = false;
    const turn = (): void => {
      turns += 1;
      if (!done) setImmediate(turn);
    };
    setImmediate(turn);
    await restoreFilesAsync([
      { path: join(dir, 'libbig.rlib'), mode: 0o644, from: join(dir, 'blob'), digest: digest(bytes) },
    ]);
    done = true;
    // Each chunk's read and write are trips through the thread pool: the loop turns between them.
    expect(turns).toBeGreaterThan(10);
  });
});
