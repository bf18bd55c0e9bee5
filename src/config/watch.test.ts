import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { watchConfigFile, type ConfigWatcher } from './watch.js';

let root: string;
let watcher: ConfigWatcher | undefined;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'hoard-watch-'));
});

afterEach(async () => {
  await watcher?.close();
  watcher = undefined;
  rmSync(root, { recursive: true, force: true });
});

const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('watchConfigFile', () => {
  it('tells of edits, replacements and removal of the file, and of nothing else in its directory', async () => {
    const file = join(root, 'config.toml');
    writeFileSync(file, 'cache_size = "1G"\n');
    const onChange = vi.fn();
    watcher = watchConfigFile(file, onChange);
    // The directory is busy with other files (a cache's log and statistics beside its config).
    for (let index = 0; index < 20; index += 1)
      writeFileSync(join(root, 'server.log'), `line ${index}\n`, { flag: 'a' });
    writeFileSync(join(root, 'stats.json'), '{}');
    await settle(400);
    expect(onChange).not.toHaveBeenCalled();

    writeFileSync(file, 'cache_size = "2G"\n');
    await vi.waitFor(() => expect(onChange).toHaveBeenCalledTimes(1), { timeout: 3000 });
    // An editor's save: written aside, renamed over the file.
    writeFileSync(join(root, '.config.toml.swp'), 'cache_size = "3G"\n');
    renameSync(join(root, '.config.toml.swp'), file);
    await vi.waitFor(() => expect(onChange).toHaveBeenCalledTimes(2), { timeout: 3000 });
    rmSync(file);
    await vi.waitFor(() => expect(onChange).toHaveBeenCalledTimes(3), { timeout: 3000 });
  });

  it('tells of a file made later in a directory that did not exist yet', async () => {
    const file = join(root, 'hoard', 'config.toml');
    const onChange = vi.fn();
    watcher = watchConfigFile(file, onChange);
    await settle(300);
    mkdirSync(join(root, 'hoard'));
    await settle(300);
    writeFileSync(file, 'cache_size = "1G"\n');
    await vi.waitFor(() => expect(onChange).toHaveBeenCalled(), { timeout: 5000 });
  });

  it('tells of a file written at once into directories made for it (mkdir -p, then the file)', async () => {
    const file = join(root, 'config', 'hoard', 'config.toml');
    // What each reload would read: the file's text, once it is there.
    const seen: string[] = [];
    watcher = watchConfigFile(file, () => seen.push(existsSync(file) ? readFileSync(file, 'utf8') : 'missing'));
    await settle(300);
    mkdirSync(join(root, 'config', 'hoard'), { recursive: true });
    writeFileSync(file, 'cache_size = "1M"\n');
    await vi.waitFor(() => expect(seen).toContain('cache_size = "1M"\n'), { timeout: 5000 });
  });
});
