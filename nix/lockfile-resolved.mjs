#!/usr/bin/env node
// Adds the `resolved` URL npm would have written to every registry package of package-lock.json.
// The lockfile is committed without them (npm's omit-lockfile-registry-resolved) so that no registry
// host is named in the repository; fetchNpmDeps needs them. The Nix build runs this in a postPatch
// shared by the dependency fetch and the package build, with the registry of the npm inside the build
// sandbox; scripts/npm-deps-hash.mjs runs the same function, so both see the same bytes.
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const NODE_MODULES = 'node_modules/';

/** The registry name of the package installed at `path` (a key of `packages`). */
export function packageName(path, entry) {
  if (typeof entry.name === 'string' && entry.name !== '') return entry.name;
  const at = path.lastIndexOf(NODE_MODULES);
  return path.slice(at + NODE_MODULES.length);
}

/** Where npm's registry keeps the tarball of `name` at `version`. */
export function tarballUrl(registry, name, version) {
  const base = registry.endsWith('/') ? registry : `${registry}/`;
  const basename = name.startsWith('@') ? name.slice(name.indexOf('/') + 1) : name;
  return `${base}${name}/-/${basename}-${version}.tgz`;
}

function needsResolved(path, entry) {
  return path.includes(NODE_MODULES) && !entry.link && !entry.inBundle && entry.resolved === undefined
    && typeof entry.version === 'string' && typeof entry.integrity === 'string';
}

/** The lockfile text with `resolved` added where it is missing, laid out as npm lays it out. */
export function addResolved(lockText, registry) {
  if (!/^https?:\/\//.test(registry)) throw new Error(`registry must be an http(s) URL, got ${JSON.stringify(registry)}`);
  const lock = JSON.parse(lockText);
  if (lock.lockfileVersion !== 2 && lock.lockfileVersion !== 3) {
    throw new Error(`package-lock.json has lockfileVersion ${lock.lockfileVersion}; run 'npm install' with npm 7 or later to upgrade it`);
  }
  for (const [path, entry] of Object.entries(lock.packages ?? {})) {
    if (!needsResolved(path, entry)) continue;
    const resolved = tarballUrl(registry, packageName(path, entry), entry.version);
    // npm writes resolved between version and integrity; keep that order so the file reads as npm's.
    const reordered = {};
    for (const [key, value] of Object.entries(entry)) {
      reordered[key] = value;
      if (key === 'version') reordered.resolved = resolved;
    }
    lock.packages[path] = reordered;
  }
  return `${JSON.stringify(lock, null, 2)}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [file, registry] = process.argv.slice(2);
  if (!file || !registry) {
    console.error('usage: node nix/lockfile-resolved.mjs <package-lock.json> <registry URL>   (rewrites the file in place)');
    process.exit(2);
  }
  writeFileSync(file, addResolved(readFileSync(file, 'utf8'), registry));
}
