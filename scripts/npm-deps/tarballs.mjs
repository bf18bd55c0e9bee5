// Tarballs come from npm's own cache (filled by `npm ci`, or by `npm cache add` through whatever
// registry this machine's npm is configured with): their bytes are fixed by the lockfile's integrity,
// so it does not matter which registry or mirror served them.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function npmCacheDir() {
  return join(
    execFileSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(),
    '_cacache',
  );
}

function contentPath(cacheDir, integrity) {
  const { algorithm, hex } = integrity;
  return join(cacheDir, 'content-v2', algorithm, hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
}

function readVerified(path, integrity) {
  let data;
  try {
    data = readFileSync(path);
  } catch {
    return undefined;
  }
  const digest = createHash(integrity.algorithm).update(data).digest('hex');
  return digest === integrity.hex ? data : undefined;
}

/** The spec `npm cache add` understands for a lockfile entry. */
export function packageSpec(entry) {
  const name = entry.name ?? entry.path.slice(entry.path.lastIndexOf('node_modules/') + 'node_modules/'.length);
  return `${name}@${entry.version}`;
}

/**
 * Returns a function giving each package's tarball, fetching the ones npm's cache lacks first (one
 * `npm cache add` for all of them) unless `offline`.
 */
export function tarballSource(packages, { offline = false, cacheDir = npmCacheDir(), log = () => {} } = {}) {
  const missing = packages.filter((entry) => !readVerified(contentPath(cacheDir, entry.integrity), entry.integrity));
  if (missing.length > 0) {
    if (offline)
      throw new Error(
        `${missing.length} tarballs are not in npm's cache (first: ${packageSpec(missing[0])}); run without --offline to fetch them`,
      );
    log(`fetching ${missing.length} tarballs npm's cache lacks`);
    execFileSync('npm', ['cache', 'add', ...missing.map(packageSpec)], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return (entry) => {
    const data =
      readVerified(contentPath(cacheDir, entry.integrity), entry.integrity) ?? (offline ? undefined : packed(entry));
    if (!data)
      throw new Error(`${packageSpec(entry)}: no tarball with integrity ${entry.integrity.sri} in ${cacheDir}`);
    return data;
  };
}

/**
 * npm files its cache by the registry's sha512, so a package the lockfile knows only by sha1 is not
 * found under it: `npm pack` writes the registry's tarball as it is.
 */
function packed(entry) {
  const scratch = mkdtempSync(join(tmpdir(), 'npm-deps-pack-'));
  try {
    execFileSync('npm', ['pack', '--silent', '--pack-destination', scratch, packageSpec(entry)], {
      stdio: ['ignore', 'ignore', 'inherit'],
      cwd: scratch,
    });
    const [file] = readdirSync(scratch).filter((name) => name.endsWith('.tgz'));
    return file ? readVerified(join(scratch, file), entry.integrity) : undefined;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
