// The directory prefetch-npm-deps (nixpkgs pkgs/build-support/node/prefetch-npm-deps, fetcherVersion 1,
// the default) leaves as fetchNpmDeps' output, built in memory:
//   _cacache/content-v2/<algo>/<hex[0:2]>/<hex[2:4]>/<hex[4:]>   the tarball, named by its integrity
//   _cacache/index-v5/<sha256(key)[0:2]>/<[2:4]>/<[4:]>           "<sha1(json)>\t<json>", one per key
//   package-lock.json                                             the lockfile the fetch read, verbatim
// key = "make-fetch-happen:request-cache:<resolved URL>", json = {key, integrity, time: 0, size,
// metadata: {url, options: {compress: true}}} in that order; no trailing newline.
import { createHash } from 'node:crypto';

// prefetch-npm-deps knows these two, in ascending preference; any other algorithm is an error there.
const ALGORITHMS = ['sha1', 'sha512'];

/** The strongest hash of an SRI list ("sha1-… sha512-…"), as prefetch-npm-deps picks it. */
export function bestIntegrity(integrity) {
  let best;
  for (const entry of integrity.split(/\s+/).filter(Boolean)) {
    const algorithm = entry.slice(0, entry.indexOf('-'));
    const rank = ALGORITHMS.indexOf(algorithm);
    if (rank === -1)
      throw new Error(`unknown hash algorithm ${JSON.stringify(algorithm)} in integrity ${JSON.stringify(integrity)}`);
    if (!best || rank > best.rank) best = { rank, algorithm, value: entry };
  }
  if (!best) throw new Error('a registry package has an empty integrity');
  return {
    rank: best.rank,
    algorithm: best.algorithm,
    sri: best.value,
    hex: Buffer.from(best.value.slice(best.algorithm.length + 1), 'base64').toString('hex'),
  };
}

function isUrl(value) {
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * The packages prefetch-npm-deps downloads from a v2/v3 lockfile: every entry but the root whose
 * `resolved` is a URL, sorted by URL, one per URL (the strongest integrity wins).
 */
export function lockfilePackages(lockText) {
  const lock = JSON.parse(lockText);
  if (lock.lockfileVersion !== 2 && lock.lockfileVersion !== 3)
    throw new Error(`lockfileVersion ${lock.lockfileVersion} is not supported (2 or 3 are)`);
  const packages = [];
  for (const [path, entry] of Object.entries(lock.packages ?? {})) {
    if (path === '' || typeof entry.resolved !== 'string' || !isUrl(entry.resolved)) continue;
    if (/^(git|git\+ssh|git\+https|ssh):/.test(entry.resolved)) {
      throw new Error(`${path} is a git dependency; this tool handles registry tarballs only`);
    }
    if (typeof entry.integrity !== 'string') throw new Error(`${path} has a resolved URL but no integrity`);
    packages.push({
      path,
      url: new URL(entry.resolved).href,
      version: entry.version,
      name: entry.name,
      integrity: bestIntegrity(entry.integrity),
    });
  }
  packages.sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : b.integrity.rank - a.integrity.rank));
  return packages.filter((entry, index) => index === 0 || packages[index - 1].url !== entry.url);
}

function hashSegments(hex) {
  return [hex.slice(0, 2), hex.slice(2, 4), hex.slice(4)];
}

function directory() {
  return { type: 'directory', entries: new Map() };
}

function place(root, segments, file) {
  let node = root;
  for (const name of segments.slice(0, -1)) {
    if (!node.entries.has(name)) node.entries.set(name, directory());
    node = node.entries.get(name);
  }
  node.entries.set(segments.at(-1), file);
}

/** The index line for one cached tarball, byte for byte as prefetch-npm-deps writes it. */
export function indexEntry(url, integrity, size) {
  const key = `make-fetch-happen:request-cache:${url}`;
  const json = JSON.stringify({ key, integrity, time: 0, size, metadata: { url, options: { compress: true } } });
  return { key, line: `${createHash('sha1').update(json).digest('hex')}\t${json}` };
}

/**
 * The output tree for `packages` (from lockfilePackages) whose tarballs `tarballOf` returns, and the
 * lockfile text the fetch read.
 */
export function npmDepsTree(lockText, packages, tarballOf) {
  const content = directory();
  const index = directory();
  for (const entry of packages) {
    const data = tarballOf(entry);
    place(content, [entry.integrity.algorithm, ...hashSegments(entry.integrity.hex)], {
      type: 'regular',
      contents: data,
    });
    const { key, line } = indexEntry(entry.url, entry.integrity.sri, data.length);
    const segments = hashSegments(createHash('sha256').update(key).digest('hex'));
    const existing = index.entries.get(segments[0])?.entries.get(segments[1])?.entries.get(segments[2]);
    // Two keys in one bucket: prefetch-npm-deps appends, separated by a newline.
    const text = existing ? `${existing.contents}\n${line}` : line;
    place(index, segments, { type: 'regular', contents: Buffer.from(text) });
  }
  const cache = directory();
  cache.entries.set('content-v2', content);
  cache.entries.set('index-v5', index);
  const root = directory();
  root.entries.set('_cacache', cache);
  root.entries.set('package-lock.json', { type: 'regular', contents: Buffer.from(lockText) });
  return root;
}
