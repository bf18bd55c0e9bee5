import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sumOf } from '../../src/stats/counters.js';
import { StatsStore } from '../../src/stats/stats-store.js';
import { createSandbox, expectSuccess, HOARD, type Sandbox } from './harness.js';

interface FastPathStatus {
  fastPath: { served: number; ready: number; declined: Record<string, number> };
}

/** The shells a /bin/sh may be, each running bin/hoard as it would (bash as `sh` is in POSIX mode). */
const SHELLS: Record<string, (links: string) => string> = {
  dash: () => 'dash',
  'bash as sh': (links) => join(links, 'sh'),
  bash: () => 'bash',
  'busybox ash': () => 'busybox sh',
  'zsh as sh': () => 'zsh --emulate sh',
};

/** Quotes, a newline, a dollar, a backslash, `=`, non-ASCII, a trailing space: read with env! by the crate. */
const HOSTILE = `a'b"c\n$HOME \\ é = \`x\` `;

describe.each(Object.keys(SHELLS))('the fast path under %s', (shell) => {
  let sandbox: Sandbox;
  let project: string;
  let wrapper: string;
  const status = async (): Promise<FastPathStatus> =>
    JSON.parse((await sandbox.hoard(['server', 'status', '--json'])).stdout) as FastPathStatus;
  // On even in the suite's run with the fast path off (npm run test:node-wrapper): this file is about it.
  const build = (value: string): ReturnType<Sandbox['cargo']> =>
    sandbox.cargo(project, ['build'], { RUSTC_WRAPPER: wrapper, ENVDEP_VALUE: value, HOARD_FAST_PATH: '1' });
  const printed = (): string => execFileSync(join(project, 'target', 'debug', 'envdep')).toString();

  beforeAll(async () => {
    sandbox = createSandbox();
    const links = join(sandbox.root, 'links');
    mkdirSync(links);
    symlinkSync(execFileSync('sh', ['-c', 'command -v bash']).toString().trim(), join(links, 'sh'));
    // RUSTC_WRAPPER is one executable: this one runs bin/hoard under the shell, as /bin/sh would.
    wrapper = join(links, 'hoard-wrapper');
    writeFileSync(wrapper, `#!/bin/sh\nexec ${SHELLS[shell]!(links)} '${HOARD}' "$@"\n`);
    chmodSync(wrapper, 0o755);
    project = join(sandbox.root, 'envdep');
    mkdirSync(join(project, 'src'), { recursive: true });
    writeFileSync(join(project, 'Cargo.toml'), '[package]\nname = "envdep"\nversion = "0.1.0"\nedition = "2021"\n');
    writeFileSync(join(project, 'src', 'main.rs'), 'fn main() {\n    print!("{}", env!("ENVDEP_VALUE"));\n}\n');
    expectSuccess(await sandbox.hoard(['server', 'start']), 'server start');
    for (let waited = 0; (await status()).fastPath.ready === 0 && waited < 10_000; waited += 100)
      await new Promise((resolve) => setTimeout(resolve, 100));
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('round-trips an env! value exactly and keys on it: a hit for the same value, a miss for another', async () => {
    const before = await status();
    expectSuccess(await build(HOSTILE), 'first build');
    expect(printed()).toBe(HOSTILE);
    let { counters } = await sandbox.stats();
    expect(counters.hits).toBe(0);
    expect(counters.misses).toBe(1);

    // cargo clean asks `rustc -vV` through the wrapper too: that call goes the same way.
    expectSuccess(
      await sandbox.cargo(project, ['clean'], { RUSTC_WRAPPER: wrapper, HOARD_FAST_PATH: '1' }),
      'cargo clean',
    );
    expectSuccess(await build(HOSTILE), 'build after clean');
    expect(printed()).toBe(HOSTILE);
    ({ counters } = await sandbox.stats());
    expect(counters.hits).toBe(1);
    expect(counters.misses).toBe(1);

    const changed = `${HOSTILE}!`;
    expectSuccess(await build(changed), 'build with the value changed');
    expect(printed()).toBe(changed);
    ({ counters } = await sandbox.stats());
    expect(counters.hits).toBe(1);
    expect(counters.misses).toBe(2);
    expect(sumOf(counters.errors)).toBe(0);

    // Every rustc call (the -vV queries too) came through the fast path, none was handed to Node.
    const after = await status();
    expect(after.fastPath.served - before.fastPath.served).toBe(counters.requests);
    expect(after.fastPath.declined).toEqual(before.fastPath.declined);
  });
});

describe('the fast path with C compiles', () => {
  let sandbox: Sandbox;
  const status = async (): Promise<FastPathStatus & { pid: number }> =>
    JSON.parse((await sandbox.hoard(['server', 'status', '--json'])).stdout) as FastPathStatus & { pid: number };
  const compile = (
    source: string,
    extraEnv: Record<string, string> = { HOARD_FAST_PATH: '1' },
  ): ReturnType<Sandbox['hoard']> =>
    sandbox.hoard(['gcc', '-Wunused-variable', '-c', source, '-o', `${source}.o`], extraEnv);

  beforeAll(async () => {
    sandbox = createSandbox();
    expectSuccess(await sandbox.hoard(['server', 'start']), 'server start');
    for (let waited = 0; (await status()).fastPath.ready === 0 && waited < 10_000; waited += 100)
      await new Promise((resolve) => setTimeout(resolve, 100));
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('replays output larger than a pipe holds, and a failed compile, exactly', async () => {
    const noisy = join(sandbox.root, 'noisy.c');
    const body = Array.from({ length: 1500 }, (_, index) => `  int unused_${index} = 0;`).join('\n');
    writeFileSync(noisy, `int noisy(void) {\n${body}\n  return 0;\n}\n`);
    const before = await status();
    const miss = await compile(noisy);
    expectSuccess(miss, 'first compile');
    expect(Buffer.byteLength(miss.stderr)).toBeGreaterThan(64 * 1024);
    const object = readFileSync(`${noisy}.o`);
    rmSync(`${noisy}.o`);
    const hit = await compile(noisy);
    expectSuccess(hit, 'second compile');
    expect(hit.stderr).toBe(miss.stderr);
    expect(readFileSync(`${noisy}.o`).equals(object)).toBe(true);

    const broken = join(sandbox.root, 'broken.c');
    writeFileSync(broken, 'int broken(void) { return }\n');
    const failed = await compile(broken);
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toMatch(/error/);

    const { counters } = await sandbox.stats();
    expect(counters.byKind.c).toMatchObject({ hits: 1, misses: 2 });
    expect(sumOf(counters.errors)).toBe(0);
    expect((await status()).fastPath.served - before.fastPath.served).toBe(3);
  });

  it('hands over to the Node wrapper when the server behind the lanes was killed, and the build goes on', async () => {
    const source = join(sandbox.root, 'after-kill.c');
    writeFileSync(source, 'int after_kill(void) { return 1; }\n');
    const killed = await status();
    // Statistics are saved shortly after each change; a killed server loses what it had not saved.
    const saved = join(sandbox.root, 'cache', 'hoard', 'stats.json');
    for (let waited = 0; StatsStore.read(saved).counters.byKind.c?.misses !== 2 && waited < 5000; waited += 50)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(StatsStore.read(saved).counters.byKind.c).toMatchObject({ hits: 1, misses: 2 });
    process.kill(killed.pid, 'SIGKILL');
    expectSuccess(await compile(source), 'compile after the server was killed');
    const next = await status();
    expect(next.pid).not.toBe(killed.pid);
    const { counters } = await sandbox.stats();
    expect(counters.byKind.c?.misses).toBe(3);
    expect(sumOf(counters.errors)).toBe(0);
  });

  it.each(['1', '0'])(
    "with HOARD_FAST_PATH=%s, streams a miss's output as the compiler writes it, and stores all of it",
    async (fastPath) => {
      // A gcc that says something, then waits (up to 20 s) until the test has seen it before compiling.
      const compiler = join(sandbox.root, `chatty-gcc-${fastPath}`);
      writeFileSync(
        compiler,
        [
          '#!/bin/sh',
          'case " $* " in *" -c "*) ;; *) exec gcc "$@" ;; esac',
          "printf 'early words\\n' >&2",
          'i=0',
          'while [ ! -e "$STREAM_MARK" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done',
          '[ -e "$STREAM_MARK" ] || printf \'NOT STREAMED\\n\' >&2',
          'exec gcc "$@"',
          '',
        ].join('\n'),
      );
      chmodSync(compiler, 0o755);
      const source = join(sandbox.root, `streamed-${fastPath}.c`);
      writeFileSync(source, `int streamed_${fastPath}(void) { return 3; }\n`);
      const mark = join(sandbox.root, `seen-${fastPath}`);
      const env = { ...sandbox.env, HOARD_FAST_PATH: fastPath, STREAM_MARK: mark };
      const before = await status();
      const child = spawn(HOARD, [compiler, '-c', source, '-o', `${source}.o`], {
        cwd: sandbox.root,
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (data: Buffer) => {
        stderr += data.toString();
        if (stderr.includes('early words')) writeFileSync(mark, '');
      });
      expect(await new Promise((resolve) => child.on('close', resolve))).toBe(0);
      expect(stderr).toBe('early words\n');
      rmSync(`${source}.o`);
      rmSync(mark);
      // The hit replays what was captured, the compiler does not run.
      const hit = await sandbox.hoard([compiler, '-c', source, '-o', `${source}.o`], {
        HOARD_FAST_PATH: fastPath,
        STREAM_MARK: mark,
      });
      expectSuccess(hit, 'hit');
      expect(hit.stderr).toBe('early words'); // execa drops the final newline
      const after = await status();
      expect(after.fastPath.served - before.fastPath.served).toBe(fastPath === '1' ? 2 : 0);
    },
  );

  it('HOARD_FAST_PATH=0 leaves every call to the Node wrapper', async () => {
    const source = join(sandbox.root, 'node-only.c');
    writeFileSync(source, 'int node_only(void) { return 2; }\n');
    const before = await status();
    expectSuccess(await compile(source, { HOARD_FAST_PATH: '0' }), 'compile through Node');
    expectSuccess(await compile(source, { HOARD_FAST_PATH: '0' }), 'hit through Node');
    const after = await status();
    expect(after.fastPath.served).toBe(before.fastPath.served);
  });
});

describe('a server started in the foreground (as a service manager runs it)', () => {
  let sandbox: Sandbox;
  let server: ReturnType<typeof spawn> | undefined;
  const status = async (): Promise<FastPathStatus | undefined> => {
    const result = await sandbox.hoard(['server', 'status', '--json']);
    return result.exitCode === 0 ? (JSON.parse(result.stdout) as FastPathStatus) : undefined;
  };

  beforeAll(async () => {
    sandbox = createSandbox();
    server = spawn(HOARD, ['server', 'start', '--foreground'], { env: sandbox.env, stdio: 'ignore' });
    for (let waited = 0; !(await status())?.fastPath.ready && waited < 20_000; waited += 100)
      await new Promise((resolve) => setTimeout(resolve, 100));
  });

  afterAll(async () => {
    if (server && server.exitCode === null) {
      await sandbox.hoard(['server', 'stop']);
      await new Promise((resolve) => (server!.exitCode === null ? server!.once('exit', resolve) : resolve(null)));
    }
    await sandbox?.dispose();
  });

  it('answers compiles through the fast path, as the daemon does', async () => {
    const source = join(sandbox.root, 'foreground.c');
    writeFileSync(source, 'int foreground(void) { return 4; }\n');
    const before = await status();
    expect(before?.fastPath.ready).toBeGreaterThan(0);
    for (const label of ['miss', 'hit']) {
      rmSync(`${source}.o`, { force: true });
      expectSuccess(await sandbox.hoard(['gcc', '-c', source, '-o', `${source}.o`], { HOARD_FAST_PATH: '1' }), label);
    }
    const { counters } = await sandbox.stats();
    expect(counters.byKind.c).toMatchObject({ hits: 1, misses: 1 });
    expect((await status())!.fastPath.served - before!.fastPath.served).toBe(2);
  });
});

describe('hoard server start', () => {
  let sandbox: Sandbox;

  beforeAll(() => {
    sandbox = createSandbox();
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('returns with the fast path ready: the first compile right after it is answered over a lane', async () => {
    expectSuccess(await sandbox.hoard(['server', 'start']), 'server start');
    const source = join(sandbox.root, 'first.c');
    writeFileSync(source, 'int first(void) { return 1; }\n');
    expectSuccess(await sandbox.hoard(['gcc', '-c', source, '-o', `${source}.o`], { HOARD_FAST_PATH: '1' }), 'compile');
    const status = JSON.parse((await sandbox.hoard(['server', 'status', '--json'])).stdout) as FastPathStatus;
    expect(status.fastPath.served).toBe(1);
    expect(status.fastPath.declined).toEqual({});
  });
});
