#!/usr/bin/env node
// The checksums cargo wants beside each crate of test/fixtures/registry, a directory source
// (`[source.x] directory = …`): `.cargo-checksum.json` lists every file's sha256, and its `package`
// value is what Cargo.lock records as the crate's checksum. Run with --write after editing a crate
// (then `cargo update --offline` in the fixtures whose Cargo.lock names it); without it, the exit code
// says whether the files are current.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REGISTRY = join(dirname(dirname(fileURLToPath(import.meta.url))), 'test', 'fixtures', 'registry');
const CHECKSUM_FILE = '.cargo-checksum.json';

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** The `.cargo-checksum.json` text a crate directory should hold. */
export function checksumText(crateDir) {
  const files = {};
  for (const entry of readdirSync(crateDir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name === CHECKSUM_FILE) continue;
    const path = join(entry.parentPath, entry.name);
    files[relative(crateDir, path)] = sha256(readFileSync(path));
  }
  const sorted = Object.fromEntries(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1)));
  const listing = Object.entries(sorted)
    .map(([file, digest]) => `${digest}  ${file}\n`)
    .join('');
  return `${JSON.stringify({ files: sorted, package: sha256(listing) }, null, 1)}\n`;
}

/** Every crate directory of the registry. */
export function crateDirs(registry = REGISTRY) {
  return readdirSync(registry, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(registry, entry.name))
    .sort();
}

/** The crates whose checksum file is missing or out of date. */
export function staleCrates(registry = REGISTRY) {
  return crateDirs(registry).filter((dir) => {
    let current;
    try {
      current = readFileSync(join(dir, CHECKSUM_FILE), 'utf8');
    } catch {
      return true;
    }
    return current !== checksumText(dir);
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv.includes('--write')) {
    for (const dir of crateDirs()) writeFileSync(join(dir, CHECKSUM_FILE), checksumText(dir));
  } else {
    const stale = staleCrates();
    for (const dir of stale)
      console.error(
        `${relative(process.cwd(), dir)}: ${CHECKSUM_FILE} is out of date (node scripts/fixture-registry.mjs --write)`,
      );
    process.exit(stale.length ? 1 : 0);
  }
}
