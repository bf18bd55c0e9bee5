import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { contentDigest } from '../fs/content-hash.js';
import { fileIdentity } from '../fs/file-identity.js';
import { PROTOCOL_VERSION, type ClientMessage } from '../protocol/messages.js';
import { restoreFiles, restoreHit } from './restore-files.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hoard-restore-'));
});

describe('restoreFiles', () => {
  it('copies blobs and writes texts in place, with their modes, and reports what it wrote', () => {
    writeFileSync(join(dir, 'blob'), 'binary');
    const identities = restoreFiles([
      { path: join(dir, 'build_script_build'), mode: 0o755, from: join(dir, 'blob') },
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

  it('replaces what is there, and leaves it untouched and no temporary file behind when it cannot', () => {
    writeFileSync(join(dir, 'out.rlib'), 'old');
    restoreFiles([{ path: join(dir, 'out.rlib'), text: 'new' }]);
    expect(readFileSync(join(dir, 'out.rlib'), 'utf8')).toBe('new');
    expect(() => restoreFiles([{ path: join(dir, 'out.rlib'), mode: 0o644, from: join(dir, 'evicted-blob') }])).toThrow(
      /ENOENT/,
    );
    expect(readFileSync(join(dir, 'out.rlib'), 'utf8')).toBe('new');
    expect(readdirSync(dir)).toEqual(['out.rlib']);
  });

  it('reports a hit written, and keeps it when the server is gone before the report', () => {
    writeFileSync(join(dir, 'blob'), 'rlib');
    const sent: ClientMessage[] = [];
    const files = [{ path: join(dir, 'libdemo.rlib'), mode: 0o644, from: join(dir, 'blob') }];
    expect(restoreHit({ send: (message) => sent.push(message) }, files)).toBeUndefined();
    expect(sent).toEqual([expect.objectContaining({ type: 'restored', identities: [expect.any(String)] })]);
    const gone = {
      send: (): void => {
        throw new Error('the server closed the lane');
      },
    };
    expect(restoreHit(gone, files)).toBeUndefined();
    expect(readFileSync(join(dir, 'libdemo.rlib'), 'utf8')).toBe('rlib');
  });

  it('says why a hit could not be written, to the server and to the wrapper, which then compiles', () => {
    const sent: ClientMessage[] = [];
    const failed = restoreHit({ send: (message) => sent.push(message) }, [
      { path: join(dir, 'libdemo.rlib'), from: join(dir, 'evicted-blob') },
    ]);
    expect(failed?.failure).toMatch(/ENOENT/);
    expect(failed?.corrupt).toBe(false);
    expect(sent).toEqual([{ v: PROTOCOL_VERSION, type: 'restore-failed', message: failed?.failure }]);
  });

  it('checks each copy against its digest as written: a damaged blob is reported corrupt and leaves nothing behind', () => {
    writeFileSync(join(dir, 'blob'), 'rlib');
    const good = contentDigest(Buffer.from('rlib'));
    const target = join(dir, 'libdemo.rlib');
    expect(restoreFiles([{ path: target, from: join(dir, 'blob'), digest: good }])).toHaveLength(1);
    expect(readFileSync(target, 'utf8')).toBe('rlib');
    rmSync(target);
    // Same size, one byte different: what bit rot under an unchanged file identity looks like to a copy.
    writeFileSync(join(dir, 'blob'), 'rlIb');
    const sent: ClientMessage[] = [];
    const failed = restoreHit({ send: (message) => sent.push(message) }, [
      { path: target, from: join(dir, 'blob'), digest: good },
    ]);
    expect(failed?.corrupt).toBe(true);
    expect(failed?.failure).toMatch(/does not match its recorded digest/);
    expect(sent).toEqual([expect.objectContaining({ type: 'restore-failed', corrupt: true })]);
    expect(readdirSync(dir).sort()).toEqual(['blob']);
  });

  it('refuses a large blob damaged past its first chunk: nothing put in place, no temporary file', () => {
    const bytes = Buffer.alloc(5 << 20, 3);
    const damaged = Buffer.from(bytes);
    damaged[(4 << 20) + 99] = 4;
    writeFileSync(join(dir, 'blob'), damaged);
    const target = join(dir, 'libdemo.rlib');
    const digest = contentDigest(bytes);
    expect(() => restoreFiles([{ path: target, from: join(dir, 'blob'), digest }])).toThrow(
      /does not match its recorded digest/,
    );
    expect(readdirSync(dir)).toEqual(['blob']);
  });
});
