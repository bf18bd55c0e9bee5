// The C row of hoard's benchmark, called by bench/run.mjs in the same run: one hit of a C file from
// ring (the crate's own flags, -O2), and a warm rebuild of test/fixtures/c-project (make clean, make),
// through gcc alone, ccache, sccache and hoard; bare `node` start-up is measured alongside, since
// hoard's wrapper pays it on every call (the target: a hit within 10 ms of it). Node built-ins only.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const REGISTRY = '/usr/share/cargo/registry';

function hyperfine(tool, label, command, env, { runs, prepare, cwd }) {
  const json = join(cwd, `${label.replace(/[^a-z0-9]+/gi, '-')}.json`);
  const args = ['-N', '--warmup', '3', '--runs', String(runs), '--export-json', json, ...(prepare ? ['--prepare', prepare] : []), command];
  const result = spawnSync(tool, args, { env, cwd, stdio: ['ignore', 'ignore', 'pipe'], timeout: 600_000 });
  if (result.status !== 0) throw new Error(`hyperfine ${label} failed: ${result.stderr?.toString().slice(-1000)}`);
  const [measured] = JSON.parse(readFileSync(json, 'utf8')).results;
  return { median: measured.median * 1000, min: measured.min * 1000, mean: measured.mean * 1000 };
}

/** Runs the C measurements; returns the rows and the Markdown section. */
export function measureC({ repo, work, tools, envFor, log, runs = 20 }) {
  const ring = readdirSync(REGISTRY).find((name) => name.startsWith('ring-'));
  if (!ring || !tools.hyperfine || !tools.ccache) {
    const missing = [!ring && 'librust-ring-dev', !tools.hyperfine && 'hyperfine', !tools.ccache && 'ccache'].filter(Boolean).join(', ');
    log(`C benchmark skipped: ${missing} not installed`);
    return { markdown: `## C\n\nNot measured: ${missing} not installed (apt-get install ${missing}).\n` };
  }
  const dir = join(work, 'c');
  mkdirSync(dir, { recursive: true });
  const source = join(REGISTRY, ring, 'crypto', 'curve25519', 'curve25519.c');
  const flags = `-O2 -fPIC -I ${join(REGISTRY, ring, 'include')} -c ${source} -o ${join(dir, 'curve25519.o')}`;
  const wrappers = { gcc: '', ccache: `${tools.ccache} `, sccache: `${tools.sccache} `, hoard: `${tools.hoard} ` };
  const env = {
    gcc: envFor('none'),
    ccache: { ...envFor('none'), CCACHE_DIR: join(dir, 'ccache'), CCACHE_CONFIGPATH: join(dir, 'ccache.conf') },
    sccache: envFor('sccache'),
    hoard: envFor('hoard'),
  };
  writeFileSync(join(dir, 'ccache.conf'), '');
  const nodeEnv = { ...envFor('none') };
  delete nodeEnv.NODE_EXTRA_CA_CERTS;
  writeFileSync(join(dir, 'empty.cjs'), '');

  const hits = {};
  for (const [name, prefix] of Object.entries(wrappers)) {
    const command = `${prefix}gcc ${flags}`;
    // Fill the cache (and make sure this call is a hit from here on).
    for (let index = 0; index < 2; index += 1) spawnSync('sh', ['-c', command], { env: env[name], stdio: 'ignore' });
    log(`C: one hit of curve25519.c through ${name === 'gcc' ? 'gcc alone' : name}`);
    hits[name] = hyperfine(tools.hyperfine, `c-hit-${name}`, command, env[name], { runs: name === 'gcc' ? 5 : runs, cwd: dir });
  }
  log('C: bare node start-up');
  const node = hyperfine(tools.hyperfine, 'c-node', `node ${join(dir, 'empty.cjs')}`, nodeEnv, { runs, cwd: dir });

  const project = join(dir, 'c-project');
  cpSync(join(repo, 'test', 'fixtures', 'c-project'), project, { recursive: true });
  const rebuild = {};
  for (const [name, prefix] of Object.entries(wrappers)) {
    const make = `make -s -C ${project} CC="${prefix}gcc"`;
    spawnSync('sh', ['-c', `make -s -C ${project} clean && ${make}`], { env: env[name], stdio: 'ignore' });
    log(`C: warm rebuild of c-project through ${name === 'gcc' ? 'gcc alone' : name}`);
    rebuild[name] = hyperfine(tools.hyperfine, `c-rebuild-${name}`, make, env[name], { runs: 10, prepare: `make -s -C ${project} clean`, cwd: dir });
  }
  const hoardStats = JSON.parse(spawnSync(tools.hoard, ['stats', '--json'], { env: env.hoard, encoding: 'utf8' }).stdout || '{}');
  const cKind = hoardStats.counters?.byKind?.c ?? { hits: 0, misses: 0 };
  if (!existsSync(join(project, 'demo'))) throw new Error('C: the c-project did not build');

  const ms = (value) => `${value.toFixed(1)} ms`;
  const row = (label, table) => `| ${label} | ${ms(table.gcc.median)} | ${ms(table.ccache.median)} | ${ms(table.sccache.median)} | ${ms(table.hoard.median)} |`;
  const overNode = hits.hoard.median - node.median;
  const markdown = `## C

One hit of \`${ring}/crypto/curve25519/curve25519.c\` (\`gcc ${flags.replace(REGISTRY, '<registry>').replace(REGISTRY, '<registry>').replace(dir, '<work>')}\`),
each tool's cache filled first, then hyperfine -N (3 warm-up runs, ${runs} runs; gcc alone: 5); and a warm
rebuild of \`test/fixtures/c-project\` (3 objects and a link; \`make clean\` before each of 10 runs). Medians:

| | gcc alone | ccache | sccache | hoard |
|---|---:|---:|---:|---:|
${row('one hit of curve25519.c', hits)}
${row('warm rebuild of c-project', rebuild)}

Bare \`node\` on an empty file (without NODE_EXTRA_CA_CERTS, as \`bin/hoard\` runs it) in the same run:
${ms(node.median)}. hoard's C hit is ${overNode >= 0 ? '+' : ''}${ms(overNode)} over it: target ≤ 10 ms, **${overNode <= 10 ? 'met' : 'missed'}**.
hoard counted ${cKind.hits} C hits and ${cKind.misses} C misses over these runs (the misses are the first compile of each file).
`;
  return { hits, rebuild, node, markdown };
}
