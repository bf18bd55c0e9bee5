import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ParsedFiles } from './parsed-files.js';

describe('ParsedFiles', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  function setUp() {
    const dir = mkdtempSync(join(tmpdir(), 'hoard-parsed-'));
    dirs.push(dir);
    const parsed: string[] = [];
    const files = new ParsedFiles((text) => {
      parsed.push(text);
      return JSON.parse(text) as { n: number };
    });
    /** Writes as the stores do: a new file renamed over the old one. */
    const replace = (path: string, text: string): void => {
      writeFileSync(`${path}.new`, text);
      renameSync(`${path}.new`, path);
    };
    return { dir, parsed, files, replace };
  }

  it('parses a file once while it stays the same file', async () => {
    const { dir, parsed, files, replace } = setUp();
    const path = join(dir, 'a.json');
    replace(path, '{"n":1}');
    expect((await files.read(path))?.value).toEqual({ n: 1 });
    expect((await files.read(path))?.value).toEqual({ n: 1 });
    expect(parsed).toHaveLength(1);
  });

  it('reads a replaced file again, and says a removed one is gone', async () => {
    const { dir, parsed, files, replace } = setUp();
    const path = join(dir, 'a.json');
    replace(path, '{"n":1}');
    await files.read(path);
    replace(path, '{"n":2}');
    expect((await files.read(path))?.value).toEqual({ n: 2 });
    expect(parsed).toHaveLength(2);
    rmSync(path);
    expect(await files.read(path)).toBeUndefined();
  });

  it('passes parse errors on and remembers nothing for them', async () => {
    const { dir, parsed, files, replace } = setUp();
    const path = join(dir, 'a.json');
    replace(path, 'not json');
    await expect(files.read(path)).rejects.toThrow(SyntaxError);
    await expect(files.read(path)).rejects.toThrow(SyntaxError);
    expect(parsed).toHaveLength(2);
  });

  it('takes a file it was told it just wrote as read, until the file is replaced', async () => {
    const { dir, parsed, files, replace } = setUp();
    const path = join(dir, 'a.json');
    replace(path, '{"n":1}');
    files.remember(path, '{"n":1}');
    expect(parsed).toHaveLength(1);
    expect((await files.read(path))?.value).toEqual({ n: 1 });
    expect(parsed).toHaveLength(1);
    replace(path, '{"n":2}');
    expect((await files.read(path))?.value).toEqual({ n: 2 });
    expect(parsed).toHaveLength(2);
  });

  it('does not take a text as the file when the file there is another (not that size), nor a text that does not parse', async () => {
    const { dir, parsed, files, replace } = setUp();
    const path = join(dir, 'a.json');
    replace(path, '{"n":10}');
    files.remember(path, '{"n":1}');
    expect((await files.read(path))?.value).toEqual({ n: 10 });
    const other = join(dir, 'b.json');
    replace(other, '{"n":3}');
    files.remember(other, 'no json');
    expect((await files.read(other))?.value).toEqual({ n: 3 });
    expect(parsed).toEqual(['{"n":10}', 'no json', '{"n":3}']);
  });
});
