import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { digestContent, digestFileHere } from '../src/hash/blake3.js';
import { HashWorkers } from '../src/hash/hash-workers.js';
import { REPO } from './e2e/harness.js';

describe('hashing threads (dist/hash-worker.mjs)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hoard-hash-'));
  const workers = new HashWorkers(pathToFileURL(join(REPO, 'dist', 'hash-worker.mjs')), 2);
  afterAll(async () => {
    await workers.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives the digest the main thread gives, for several files at once', async () => {
    const files = [1, 2, 3].map((n) => {
      const path = join(dir, `big-${n}`);
      writeFileSync(path, Buffer.alloc(9 * 1024 * 1024 + n, n));
      return path;
    });
    const threaded = await Promise.all(files.map((path) => workers.digest(path)));
    expect(threaded).toEqual(await Promise.all(files.map((path) => digestFileHere(path))));
    expect(new Set(threaded).size).toBe(3);
    expect(await workers.digest(files[0]!)).toBe(digestContent(Buffer.alloc(9 * 1024 * 1024 + 1, 1)));
  });

  it('passes a missing file on with its error code', async () => {
    await expect(workers.digest(join(dir, 'absent'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it.runIf(process.platform === 'linux')(
    'runs a background thread at the niceness asked for, and no other thread of the process',
    async () => {
      const niceness = () =>
        readdirSync('/proc/self/task').map((tid) =>
          Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]),
        );
      expect(niceness().filter((nice) => nice === 10)).toEqual([]);
      const background = new HashWorkers(pathToFileURL(join(REPO, 'dist', 'hash-worker.mjs')), 1, { nice: 10 });
      const path = join(dir, 'background');
      writeFileSync(path, Buffer.alloc(2 * 1024 * 1024, 7));
      expect(await background.digest(path)).toBe(await digestFileHere(path));
      expect(niceness().filter((nice) => nice === 10)).toHaveLength(1);
      await background.close();
    },
  );

  it('fails the job, not the process, when the thread cannot start', async () => {
    const broken = new HashWorkers(pathToFileURL(join(dir, 'no-such-worker.mjs')), 1);
    await expect(broken.digest(join(dir, 'big-1'))).rejects.toThrow();
    await broken.close();
  });
});
