#!/usr/bin/env node
// Computes the npmDepsHash of flake.nix without Nix: the sha256 of the NAR of the directory
// fetchNpmDeps produces from package-lock.json (see scripts/npm-deps/cacache.mjs for its layout), and
// keeps nix/npm-deps.json in step with package-lock.json. docs/nix.md says what it assumes.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { addResolved } from '../nix/lockfile-resolved.mjs';
import { lockfilePackages, npmDepsTree } from './npm-deps/cacache.mjs';
import { narHash } from './npm-deps/nar.mjs';
import { tarballSource } from './npm-deps/tarballs.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
export const RECORD_FILE = join(root, 'nix', 'npm-deps.json');

const USAGE = `usage: node scripts/npm-deps-hash.mjs [--write | --check] [options]
  (no flag)         print the npmDepsHash of package-lock.json
  --write           store it, with the lockfile digest it belongs to, in nix/npm-deps.json
  --check           exit 1 if nix/npm-deps.json does not belong to package-lock.json (no download)
  --lockfile FILE   another lockfile (default: package-lock.json of this repository)
  --as-is           hash FILE byte for byte, as a lockfile that already has resolved URLs
  --registry URL    the registry the Nix build's npm uses (default: npm's built-in default)
  --offline         use only tarballs already in npm's cache
  --out DIR         also write the directory, to compare with 'nix hash path DIR'`;

/**
 * The registry npm uses when nothing configures it, as inside a Nix build sandbox: asked of npm itself
 * with empty user and global config files, so this machine's own npm configuration does not count.
 */
export function defaultRegistry() {
  const scratch = mkdtempSync(join(tmpdir(), 'npm-deps-hash-'));
  try {
    const empty = join(scratch, 'npmrc');
    writeFileSync(empty, '');
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_config_/i.test(name)));
    return execFileSync(
      'npm',
      ['config', 'get', 'registry', '--userconfig', empty, '--globalconfig', join(scratch, 'globalrc')],
      {
        encoding: 'utf8',
        env: { ...env, HOME: scratch },
        cwd: scratch,
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    ).trim();
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The lockfile text the Nix build's fetch reads: with resolved URLs added, unless it has them. */
export function fetchedLockfile(lockText, { asIs = false, registry } = {}) {
  return asIs ? lockText : addResolved(lockText, registry ?? defaultRegistry());
}

export function sha256Sri(text) {
  return `sha256-${createHash('sha256').update(text).digest('base64')}`;
}

export function computeNpmDepsHash(fetchedText, options = {}) {
  const packages = lockfilePackages(fetchedText);
  const tree = npmDepsTree(fetchedText, packages, tarballSource(packages, options));
  return { hash: narHash(tree), tree, packages };
}

function writeTree(node, path) {
  if (node.type === 'directory') {
    mkdirSync(path, { recursive: true });
    for (const [name, child] of node.entries) writeTree(child, join(path, name));
  } else writeFileSync(path, node.contents);
}

function main() {
  const { values } = parseArgs({
    options: {
      write: { type: 'boolean' },
      check: { type: 'boolean' },
      'as-is': { type: 'boolean' },
      offline: { type: 'boolean' },
      lockfile: { type: 'string' },
      registry: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return void console.log(USAGE);
  const lockText = readFileSync(values.lockfile ?? join(root, 'package-lock.json'), 'utf8');
  const fetched = fetchedLockfile(lockText, { asIs: values['as-is'], registry: values.registry });
  if (values.check) {
    const record = JSON.parse(readFileSync(RECORD_FILE, 'utf8'));
    if (record.lockfile !== sha256Sri(fetched)) {
      console.error(
        'nix/npm-deps.json does not belong to package-lock.json: run `npm run nix:deps-hash` and commit nix/npm-deps.json.',
      );
      process.exitCode = 1;
    }
    return;
  }
  const { hash, tree, packages } = computeNpmDepsHash(fetched, {
    offline: values.offline,
    log: (line) => console.error(line),
  });
  if (values.out) writeTree(tree, values.out);
  if (values.write) {
    writeFileSync(
      RECORD_FILE,
      `${JSON.stringify({ npmDepsHash: hash, lockfile: sha256Sri(fetched), packages: packages.length }, null, 2)}\n`,
    );
    console.error(`wrote ${hash} for ${packages.length} packages to nix/npm-deps.json`);
  } else console.log(hash);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    main();
  } catch (error) {
    console.error(
      `npm-deps-hash: ${error.message}${error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? ' (see --help)' : ''}`,
    );
    process.exitCode = 1;
  }
}
