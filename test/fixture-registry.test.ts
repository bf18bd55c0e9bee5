import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { crateDirs, REGISTRY, staleCrates } from '../scripts/fixture-registry.mjs';
import { REPO } from './e2e/harness.js';

describe('test/fixtures/registry, the crates the core end-to-end fixtures build from', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'hoard-registry-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('has every checksum file current (node scripts/fixture-registry.mjs --write)', () => {
    expect(crateDirs().map((dir) => basename(dir))).toContain('libc-0.2.0');
    expect(staleCrates()).toEqual([]);
  });

  it('notices an edited crate', () => {
    const copy = join(scratch, 'registry');
    cpSync(REGISTRY, copy, { recursive: true });
    appendFileSync(join(copy, 'memchr-2.0.0', 'src', 'lib.rs'), '// edited\n');
    expect(staleCrates(copy).map((dir) => basename(dir))).toEqual(['memchr-2.0.0']);
  });

  it('is what the workspace fixture locks: each crate with the checksum its directory declares', () => {
    const lock = readFileSync(join(REPO, 'test', 'fixtures', 'workspace', 'Cargo.lock'), 'utf8');
    const locked = [...lock.matchAll(/name = "([^"]+)"\nversion = "([^"]+)"\nsource = "[^"]+"\nchecksum = "([^"]+)"/g)];
    expect(locked.length).toBe(crateDirs().length);
    for (const [, name, version, checksum] of locked) {
      const declared = JSON.parse(
        readFileSync(join(REGISTRY, `${name}-${version}`, '.cargo-checksum.json'), 'utf8'),
      ) as { package: string };
      expect(declared.package).toBe(checksum);
    }
  });
});
