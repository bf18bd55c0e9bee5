import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeDirectory, makeDirectorySync } from './make-directory.js';

describe.each([
  ['makeDirectorySync', async (path: string, mode?: number) => makeDirectorySync(path, mode)],
  ['makeDirectory', makeDirectory],
])('%s', (_name, make) => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'hoard-mkdir-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('makes every missing parent with the mode, and accepts a directory that is there', async () => {
    const deep = join(root, 'a', 'b', 'c');
    await make(deep, 0o700);
    await make(deep, 0o700);
    for (const dir of [join(root, 'a'), join(root, 'a', 'b'), deep])
      expect(statSync(dir).mode & 0o777).toBe(0o700 & ~process.umask());
  });

  it('refuses a path through a file with mkdir’s error', async () => {
    writeFileSync(join(root, 'file'), '');
    await expect(make(join(root, 'file', 'sub'))).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(Promise.resolve().then(() => make(join(root, 'file')))).rejects.toMatchObject({ code: 'EEXIST' });
  });

  // Node's recursive mkdir loops forever on such a path; /proc is where Linux answers ENOENT for it.
  it.skipIf(process.platform !== 'linux')(
    'fails, and returns, where mkdir answers ENOENT under a parent that exists',
    async () => {
      await expect(make('/proc/hoard-make-directory-test/sub', 0o700)).rejects.toMatchObject({ code: 'ENOENT' });
    },
  );
});
