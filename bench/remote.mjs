// "Fresh machine, team cache": hoard's benchmark piece for remote caches, called by bench/run.mjs in the
// same run, or alone (`node bench/remote.mjs [--rounds=N]`, printing its Markdown section).
//
// A "CI" hoard fills a redis-server, an S3 server (@20minutes/s3rver, which checks signatures) and, where
// nginx is installed, an HTTP server (nginx with WebDAV's PUT and DELETE) with bench/project's build; then each round builds on a "fresh machine": an empty local cache (a new
// HOARD_DIR), `cargo clean`, the remote read-only. Beside it, in the same rounds: no cache, hoard's warm
// build from its own local disk, and sccache's warm build from its local disk (Debian's sccache 0.4 has no
// remote backends, so its local warm build is the floor of any sccache build from a remote). The fresh
// machine's server is started before the clock runs, as the warm build's is (it is already running); its
// start is timed on its own. Then cold
// builds (empty local cache) with no remote, with an unreachable one (a closed port) and with one that
// accepts connections and never answers. And for C, test/fixtures/c-project through ccache with
// `remote_storage = redis://…` and `remote_only = true` against hoard on the same redis-server.
// Node built-ins only (s3rver is loaded from the repository's node_modules).
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './stats.mjs';

function freePort() {
  return new Promise((done) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

function which(name) {
  const result = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

async function startRedis(dir) {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  );
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout?.trim() === 'PONG')
      return { port, stop: () => child.kill('SIGTERM') };
    await new Promise((done) => setTimeout(done, 50));
  }
  child.kill('SIGKILL');
  throw new Error('redis-server did not start (apt-get install redis-server)');
}

/**
 * The S3 server in a process of its own: the builds here run with spawnSync, which would stop this
 * process's event loop, and an S3 server inside it, for as long as each build takes.
 */
async function startS3(repo, dir) {
  const port = await freePort();
  const script = `
    const S3rver = require(${JSON.stringify(join(repo, 'node_modules', '@20minutes', 's3rver'))});
    new S3rver({ port: ${port}, address: '127.0.0.1', directory: ${JSON.stringify(dir)}, silent: true, configureBuckets: [{ name: 'team', configs: [] }] })
      .run().then(() => process.stdout.write('ready\\n'));`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((done, fail) => {
    child.stdout.on('data', (data) => data.toString().includes('ready') && done());
    child.once('exit', (code) => fail(new Error(`the S3 server exited (${code})`)));
  });
  return { port, stop: () => child.kill('SIGTERM') };
}

/** nginx storing what is PUT below its root (WebDAV's PUT and DELETE), as docs/remote.md sets it up. */
async function startNginx(nginx, dir) {
  const port = await freePort();
  mkdirSync(join(dir, 'data'), { recursive: true });
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  const temp = (name) => `${name}_temp_path ${join(dir, 'tmp', name)};`;
  const config = join(dir, 'nginx.conf');
  writeFileSync(
    config,
    `daemon off;
worker_processes 1;
${process.getuid?.() === 0 ? 'user root root;' : ''}
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 256; }
http {
  access_log off;
  ${temp('client_body')} ${temp('proxy')} ${temp('fastcgi')} ${temp('uwsgi')} ${temp('scgi')}
  client_max_body_size 512m;
  server {
    listen 127.0.0.1:${port};
    root ${join(dir, 'data')};
    location / { dav_methods PUT DELETE; create_full_put_path on; dav_access user:rw; }
  }
}
`,
  );
  const errorLog = join(dir, 'error.log');
  const child = spawn(nginx, ['-p', dir, '-e', errorLog, '-c', config], { stdio: 'ignore' });
  let exited = false;
  child.once('exit', () => (exited = true));
  const failure = (what) => {
    const lines = existsSync(errorLog) ? readFileSync(errorLog, 'utf8').trim().split('\n').slice(0, 3) : [];
    return new Error(`nginx ${what}${lines.length ? `: ${lines.join(' | ')}` : ''}`);
  };
  for (let attempt = 0; attempt < 100 && !exited; attempt += 1) {
    const answered = await fetch(`http://127.0.0.1:${port}/`).then(
      () => true,
      () => false,
    );
    if (answered) return { port, stop: () => child.kill('SIGTERM') };
    await new Promise((done) => setTimeout(done, 50));
  }
  if (exited) throw failure('exited at start');
  child.kill('SIGKILL');
  throw failure('did not answer within 5 s');
}

/** Accepts connections and never answers: the remote that costs a timeout. */
function startSilent() {
  const sockets = new Set();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  return new Promise((done) =>
    server.listen(0, '127.0.0.1', () =>
      done({
        port: server.address().port,
        stop: () => {
          for (const socket of sockets) socket.destroy();
          server.close();
        },
      }),
    ),
  );
}

/** Runs bench/project's build (or any command) and returns its wall time in seconds; throws on failure. */
function timed(label, command, args, env, cwd, log) {
  log(`remote: ${label}`);
  const started = performance.now();
  const result = spawnSync(command, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 1_800_000 });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0)
    throw new Error(
      `${label} failed (exit ${result.status ?? result.signal}): ${result.stderr?.toString().slice(-2000)}`,
    );
  return seconds;
}

/** Runs the remote measurements on a copy of the project; returns the rows and the Markdown section. */
export async function measureRemote({ repo, work, projectSource, baseEnv, hoard, log, rounds = 2 }) {
  const tools = {
    cargo: which('cargo'),
    sccache: which('sccache'),
    ccache: which('ccache'),
    redis: which('redis-server'),
    nginx: which('nginx') ?? ['/usr/sbin/nginx', '/usr/local/sbin/nginx'].find((path) => existsSync(path)),
    make: which('make'),
    gcc: which('gcc'),
  };
  const missing = [
    !tools.redis && 'redis-server',
    !existsSync(join(repo, 'node_modules', '@20minutes', 's3rver')) && '@20minutes/s3rver (npm ci)',
  ].filter(Boolean);
  if (missing.length > 0)
    return { markdown: `## Fresh machine, team cache\n\nNot measured: ${missing.join(', ')} not installed.\n` };

  const dir = join(work, 'remote');
  mkdirSync(join(dir, 'redis'), { recursive: true });
  mkdirSync(join(dir, 's3'), { recursive: true });
  const project = join(dir, 'project');
  cpSync(projectSource, project, { recursive: true, filter: (path) => !path.includes(`${projectSource}/target`) });
  // basedirs auto strips the root of a compile's git worktree: the CI machine builds elsewhere.
  for (const args of [
    ['init', '-q', '-b', 'main'],
    ['add', '.'],
    ['commit', '-q', '-m', 'bench'],
  ])
    spawnSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', ...args], {
      cwd: project,
      stdio: 'ignore',
    });
  // test/fixtures/workspace builds from a cargo directory source beside it (`directory = "../registry"`):
  // named by an absolute path, as the e2e harness does, since cargo passes `<checkout>/../registry/…` on,
  // which would name each checkout in the keys.
  const registry = join(dirname(projectSource), 'registry');
  const cargoConfig = join(project, '.cargo', 'config.toml');
  if (existsSync(registry) && existsSync(cargoConfig)) {
    writeFileSync(
      cargoConfig,
      readFileSync(cargoConfig, 'utf8').replace(/^directory = "[^"]+"$/m, `directory = ${JSON.stringify(registry)}`),
    );
  }
  const ciProject = join(dir, 'ci-checkout');
  cpSync(project, ciProject, { recursive: true });

  // Each server is stopped in the finally below, whichever of them started before something threw.
  let redis;
  let s3;
  let http;
  let silent;
  try {
    redis = await startRedis(join(dir, 'redis'));
    s3 = await startS3(repo, join(dir, 's3'));
    // HTTP is measured where nginx runs; when it does not start, the report says why instead.
    let httpProblem = tools.nginx ? undefined : 'nginx is not installed';
    if (tools.nginx)
      http = await startNginx(tools.nginx, join(dir, 'http')).catch((error) => {
        httpProblem = error.message;
        return undefined;
      });
    silent = await startSilent();
    const closed = await freePort();
    const credentials = join(dir, 'aws-credentials');
    writeFileSync(credentials, '[default]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n', {
      mode: 0o600,
    });

    const remotes = {
      redis: (readOnly) => `[[remotes]]\nurl = "redis://127.0.0.1:${redis.port}"\nread_only = ${readOnly}\n`,
      s3: (readOnly) =>
        `[[remotes]]\nurl = "s3://team/hoard"\nendpoint = "http://127.0.0.1:${s3.port}"\ncredentials_file = "${credentials}"\nread_only = ${readOnly}\n`,
      http: (readOnly) => `[[remotes]]\nurl = "http://127.0.0.1:${http?.port}/hoard"\nread_only = ${readOnly}\n`,
      unreachable: () => `[[remotes]]\nurl = "redis://127.0.0.1:${closed}"\n`,
      silent: () => `[[remotes]]\nurl = "redis://127.0.0.1:${silent.port}"\n`,
      none: () => '',
    };
    let machines = 0;
    /** A hoard of its own (HOARD_DIR: cache, config and server) with these remotes. */
    const machine = (remote) => {
      const home = join(dir, `machine-${++machines}`);
      mkdirSync(home, { recursive: true });
      writeFileSync(join(home, 'config.toml'), `basedirs = ["auto"]\n${remote}`);
      return { ...baseEnv, HOARD_DIR: home, HOARD_CONFIG: join(home, 'config.toml'), RUSTC_WRAPPER: hoard };
    };
    const stop = (env) => spawnSync(hoard, ['server', 'stop'], { env, stdio: 'ignore', timeout: 120_000 });
    const stats = (env) => JSON.parse(spawnSync(hoard, ['stats', '--json'], { env, encoding: 'utf8' }).stdout || '{}');
    const clean = (cwd = project) => spawnSync(tools.cargo, ['clean'], { cwd, env: baseEnv, stdio: 'ignore' });
    const build = (label, env, cwd = project) => {
      clean(cwd);
      return timed(label, tools.cargo, ['build'], env, cwd, log);
    };

    const results = {
      none: [],
      hoardLocal: [],
      sccacheLocal: [],
      redisFresh: [],
      s3Fresh: [],
      httpFresh: [],
      redisStart: [],
      s3Start: [],
      httpStart: [],
      coldNoRemote: [],
      coldUnreachable: [],
      coldSilent: [],
    };
    const counters = {};
    const kinds = http ? ['redis', 's3', 'http'] : ['redis', 's3'];
    // CI fills each remote from its own checkout (one build, uploads drained by stopping its server).
    for (const kind of kinds) {
      const ci = machine(remotes[kind](false));
      build(`CI build filling ${kind}`, ci, ciProject);
      stop(ci);
    }
    const local = machine('');
    build('hoard: fill the local cache', local);
    const sccacheEnv = {
      ...baseEnv,
      SCCACHE_DIR: join(dir, 'sccache'),
      SCCACHE_SERVER_PORT: String(await freePort()),
      SCCACHE_IDLE_TIMEOUT: '0',
      RUSTC_WRAPPER: tools.sccache ?? '',
    };
    if (tools.sccache) build('sccache: fill its local cache', sccacheEnv);

    for (let round = 1; round <= rounds; round += 1) {
      results.none.push(build(`no cache, round ${round}`, baseEnv));
      results.hoardLocal.push(build(`hoard warm from the local disk, round ${round}`, local));
      if (tools.sccache)
        results.sccacheLocal.push(build(`sccache warm from its local disk, round ${round}`, sccacheEnv));
      for (const kind of kinds) {
        const fresh = machine(remotes[kind](true));
        // Started before the clock runs, as the warm build's server is; its start is reported on its own.
        results[`${kind}Start`].push(
          timed(
            `hoard server start on a fresh machine (${kind}), round ${round}`,
            hoard,
            ['server', 'start'],
            fresh,
            dir,
            log,
          ),
        );
        results[`${kind}Fresh`].push(build(`hoard on a fresh machine from ${kind}, round ${round}`, fresh));
        counters[kind] = stats(fresh).counters;
        stop(fresh);
      }
      for (const [name, kind] of [
        ['coldNoRemote', 'none'],
        ['coldUnreachable', 'unreachable'],
        ['coldSilent', 'silent'],
      ]) {
        const env = machine(remotes[kind]());
        results[name].push(build(`hoard cold (empty local cache), remote ${kind}, round ${round}`, env));
        stop(env);
      }
    }
    stop(local);
    if (tools.sccache) spawnSync(tools.sccache, ['--stop-server'], { env: sccacheEnv, stdio: 'ignore' });

    // C: ccache reading only from redis (remote_only) against hoard from the same redis-server.
    let c;
    if (tools.ccache && tools.make && tools.gcc) {
      const cProject = join(dir, 'c-project');
      cpSync(join(repo, 'test', 'fixtures', 'c-project'), cProject, { recursive: true });
      const ccacheConf = join(dir, 'ccache.conf');
      writeFileSync(ccacheConf, `remote_storage = redis://127.0.0.1:${redis.port}\nremote_only = true\n`);
      const ccacheEnv = { ...baseEnv, CCACHE_CONFIGPATH: ccacheConf, CCACHE_DIR: join(dir, 'ccache') };
      const make = (label, env, prefix) => {
        spawnSync(tools.make, ['-s', '-C', cProject, 'clean'], { env, stdio: 'ignore' });
        return timed(label, tools.make, ['-s', '-C', cProject, `CC=${prefix}gcc`], env, dir, log) * 1000;
      };
      const cCi = machine(remotes.redis(false));
      make('C: hoard CI fill', cCi, `${hoard} `);
      stop(cCi);
      make('C: ccache fill (remote only)', ccacheEnv, `${tools.ccache} `);
      c = { gcc: [], ccache: [], hoard: [] };
      for (let round = 1; round <= rounds * 2; round += 1) {
        c.gcc.push(make(`C: gcc alone, round ${round}`, baseEnv, ''));
        c.ccache.push(make(`C: ccache from redis (remote_only), round ${round}`, ccacheEnv, `${tools.ccache} `));
        const fresh = machine(remotes.redis(true));
        // ccache has no server to start: hoard's is started before the clock runs.
        spawnSync(hoard, ['server', 'start'], { env: fresh, stdio: 'ignore' });
        c.hoard.push(make(`C: hoard on a fresh machine from redis, round ${round}`, fresh, `${hoard} `));
        stop(fresh);
      }
    }
    return {
      results,
      counters,
      c,
      markdown: report(results, counters, c, rounds, Boolean(tools.sccache), httpProblem),
    };
  } finally {
    for (const server of [redis, s3, http, silent]) server?.stop();
  }
}

function report(results, counters, c, rounds, haveSccache, httpProblem) {
  const best = (times) => (times.length ? Math.min(...times) : NaN);
  const s = (times) => (times.length ? `${best(times).toFixed(2)} s` : '-');
  const x = (a, b) => (Number.isFinite(a) && Number.isFinite(b) ? `${(a / b).toFixed(2)}×` : '-');
  const all = (times) => times.map((time) => time.toFixed(2)).join(' / ');
  const verdict = (ok) => (ok ? '**met**' : '**missed**');
  const fresh = { redis: best(results.redisFresh), s3: best(results.s3Fresh), http: best(results.httpFresh) };
  const haveHttp = results.httpFresh.length > 0;
  const measured = haveHttp ? ['redis', 's3', 'http'] : ['redis', 's3'];
  const names = { redis: 'Redis', s3: 'S3', http: 'HTTP' };
  const slowest = Math.max(...measured.map((kind) => fresh[kind]));
  const each = (against) => measured.map((kind) => `${names[kind]} ${x(fresh[kind], against)}`).join(', ');
  const local = best(results.hoardLocal);
  const sccache = best(results.sccacheLocal);
  const noRemote = best(results.coldNoRemote);
  const hitsOf = (kind) => `${counters[kind]?.hits ?? 0} hits, ${counters[kind]?.misses ?? 0} misses`;
  const cRows = c
    ? `
C (test/fixtures/c-project, \`make clean && make\`, ${c.gcc.length} rounds, medians): gcc alone ${median(c.gcc).toFixed(0)} ms, ccache with
\`remote_storage = redis://…\` and \`remote_only = true\` ${median(c.ccache).toFixed(0)} ms, hoard on a fresh machine from the same
redis-server ${median(c.hoard).toFixed(0)} ms (${x(median(c.hoard), median(c.ccache))} ccache's; an empty local cache, its server started
before the clock runs).
`
    : '\nC: not measured (ccache, make or gcc missing).\n';
  return `## Fresh machine, team cache

bench/project built by a "CI" hoard into a redis-server, an S3 server (@20minutes/s3rver, SigV4) and ${haveHttp ? 'an HTTP server (nginx with WebDAV)' : `no HTTP server (${httpProblem ?? 'not measured'})`}, all on this
machine; then, in ${rounds} interleaved rounds, \`cargo clean && cargo build\` on a fresh machine (an empty local cache, the
remote read-only), beside no cache and the warm builds from each tool's own local disk. Debian's sccache 0.4 is built
without remote backends (\`SCCACHE_REDIS\` or \`SCCACHE_BUCKET\` stop its server: "cache type is not enabled"), so its
row is its warm build from its local disk: a floor for any sccache build from a remote. Fastest round counts; all rounds
in seconds after each cell's label. The fresh machine's server is started before the clock runs, as the warm build's
server is already running; \`hoard server start\` on the fresh machine, timed on its own, took
${all(results.redisStart)} s (Redis), ${all(results.s3Start)} s (S3)${haveHttp ? ` and ${all(results.httpStart)} s (HTTP)` : ''}.

| build | time | vs sccache (local warm) | vs hoard local warm | rounds |
|---|---:|---:|---:|---|
| no cache | ${s(results.none)} | | | ${all(results.none)} |
| sccache, warm from its local disk | ${haveSccache ? s(results.sccacheLocal) : 'not installed'} | | | ${all(results.sccacheLocal)} |
| hoard, warm from its local disk | ${s(results.hoardLocal)} | ${x(local, sccache)} | | ${all(results.hoardLocal)} |
| hoard, fresh machine, Redis (${hitsOf('redis')}) | ${s(results.redisFresh)} | ${x(fresh.redis, sccache)} | ${x(fresh.redis, local)} | ${all(results.redisFresh)} |
| hoard, fresh machine, S3 (${hitsOf('s3')}) | ${s(results.s3Fresh)} | ${x(fresh.s3, sccache)} | ${x(fresh.s3, local)} | ${all(results.s3Fresh)} |
${haveHttp ? `| hoard, fresh machine, HTTP (${hitsOf('http')}) | ${s(results.httpFresh)} | ${x(fresh.http, sccache)} | ${x(fresh.http, local)} | ${all(results.httpFresh)} |\n` : ''}| hoard cold, no remote | ${s(results.coldNoRemote)} | | | ${all(results.coldNoRemote)} |
| hoard cold, unreachable remote (closed port) | ${s(results.coldUnreachable)} | | ${x(best(results.coldUnreachable), noRemote)} of no remote | ${all(results.coldUnreachable)} |
| hoard cold, remote that never answers | ${s(results.coldSilent)} | | ${x(best(results.coldSilent), noRemote)} of no remote | ${all(results.coldSilent)} |

| target | result | |
|---|---|---|
| fresh machine ≤ 0.40 × sccache's (here: its local warm build, a floor) | ${each(sccache)} | ${verdict(slowest <= 0.4 * sccache)} |
| fresh machine ≤ 1.5 × hoard's warm build from the local disk | ${each(local)} | ${verdict(slowest <= 1.5 * local)} |
| unreachable and never-answering remote ≤ 1.05 × no remote (cold builds) | ${x(best(results.coldUnreachable), noRemote)}, ${x(best(results.coldSilent), noRemote)} | ${verdict(Math.max(best(results.coldUnreachable), best(results.coldSilent)) <= 1.05 * noRemote)} |
${cRows}`;
}

// Alone: `node bench/remote.mjs [--rounds=N] [--project=DIR]` on a copy of bench/project (or DIR, such as
// test/fixtures/workspace for a quick smoke test) in a temporary directory.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const rounds = Number(process.argv.find((arg) => arg.startsWith('--rounds='))?.slice('--rounds='.length) ?? 2);
  const work = mkdtempSync(join(tmpdir(), 'hoard-bench-remote-'));
  const baseEnv = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !name.startsWith('HOARD_') && !name.startsWith('SCCACHE_') && name !== 'RUSTC_WRAPPER',
    ),
  );
  Object.assign(baseEnv, { CARGO_INCREMENTAL: '0', CARGO_TERM_COLOR: 'never' });
  try {
    const projectArg = process.argv.find((arg) => arg.startsWith('--project='))?.slice('--project='.length);
    const projectSource = projectArg ? resolve(projectArg) : join(repo, 'bench', 'project');
    const { markdown } = await measureRemote({
      repo,
      work,
      projectSource,
      baseEnv,
      hoard: join(repo, 'bin', 'hoard'),
      log: (line) => process.stderr.write(`${line}\n`),
      rounds,
    });
    process.stdout.write(markdown);
  } catch (error) {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exitCode = 1;
  } finally {
    // The servers just stopped may still be writing their last files.
    rmSync(work, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  }
}
