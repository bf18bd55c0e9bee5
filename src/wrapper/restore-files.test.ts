import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { fileIdentity } from '../fs/file-identity.js';
import type { ClientMessage } from '../protocol/messages.js';
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
    expect(identities).toEqual([join(dir, 'build_script_build'), join(dir, 'demo.d')].map((path) => fileIdentity(statSync(path, { bigint: true }))));
  });

  it('replaces what is there, and leaves it untouched and no temporary file behind when it cannot', () => {
    writeFileSync(join(dir, 'out.rlib'), 'old');
    restoreFiles([{ path: join(dir, 'out.rlib'), text: 'new' }]);
    expect(readFileSync(join(dir, 'out.rlib'), 'utf8')).toBe('new');
    expect(() => restoreFiles([{ path: join(dir, 'out.rlib'), mode: 0o644, from: join(dir, 'evicted-blob') }])).toThrow(/ENOENT/);
    expect(readFileSync(join(dir, 'out.rlib'), 'utf8')).toBe('new');
    expect(readdirSync(dir)).toEqual(['out.rlib']);
  });

  it('reports a hit written, and keeps it when the server is gone before the report', () => {
    writeFileSync(join(dir, 'blob'), 'rlib');
    const sent: ClientMessage[] = [];
    const files = [{ path: join(dir, 'libdemo.rlib'), mode: 0o644, from: join(dir, 'blob') }];
    expect(restoreHit({ send: (message) => sent.push(message) }, files)).toBeUndefined();
    expect(sent).toEqual([expect.objectContaining({ type: 'restored', identities: [expect.any(String)] })]);
    const gone = { send: (): void => { throw new Error('the server closed the lane'); } };
    expect(restoreHit(gone, files)).toBeUndefined();
    expect(readFileSync(join(dir, 'libdemo.rlib'), 'utf8')).toBe('rlib');
  });

  it('says why a hit could not be written, to the server and to the wrapper, which then compiles', () => {
    const sent: ClientMessage[] = [];
    const failure = restoreHit({ send: (message) => sent.push(message) }, [{ path: join(dir, 'libdemo.rlib'), from: join(dir, 'evicted-blob') }]);
    expect(failure).toMatch(/ENOENT/);
    expect(sent).toEqual([expect.objectContaining({ type: 'restore-failed', message: failure })]);
  });
});
