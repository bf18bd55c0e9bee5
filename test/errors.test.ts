import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from './e2e/harness.js';

/** A string as a regular expression that matches it. */
const literally = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('the server, started with a cache directory it cannot make', () => {
  const root = mkdtempSync(join(tmpdir(), 'hoard-errors-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('says what is wrong and what to do in one line, on stderr and in its log, and exits with 1', async () => {
    writeFileSync(join(root, 'a-file'), '');
    const cacheDir = join(root, 'a-file', 'cache');
    writeFileSync(join(root, 'config.toml'), `cache_dir = "${cacheDir}"\n`);
    const env = {
      PATH: process.env.PATH!,
      HOME: root,
      XDG_CACHE_HOME: join(root, 'xdg'),
      HOARD_CONFIG: join(root, 'config.toml'),
    };
    const line =
      `hoard server: ENOTDIR: not a directory, lstat '${cacheDir}'; hoard writes under cache_dir and the state directory ` +
      '(HOARD_DIR, default ~/.cache/hoard): make that path a directory you can write, with space left, or set them elsewhere.';
    for (const mode of ['--daemon', '--foreground']) {
      const server = await execa(process.execPath, [join(REPO, 'dist', 'server.mjs'), mode], {
        env,
        extendEnv: false,
        reject: false,
        timeout: 30_000,
      });
      expect(server.timedOut).toBe(false);
      expect(server.exitCode).toBe(1);
      expect(server.stderr).toBe(line);
      // A daemon's stderr is read by no one: its log is where the line is found.
      if (mode === '--daemon')
        expect(readFileSync(join(root, 'xdg', 'hoard', 'server.log'), 'utf8')).toMatch(
          new RegExp(`server\\[\\d+\\] error: ${literally(line)}\\n$`),
        );
    }
  });
});

// Linux answers mkdir under /proc with ENOENT although /proc exists; Node's recursive mkdir then never returns.
describe.skipIf(process.platform !== 'linux')('a HOARD_DIR where no directory can be made (under /proc)', () => {
  const root = mkdtempSync(join(tmpdir(), 'hoard-errors-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const env = {
    PATH: process.env.PATH!,
    HOME: root,
    HOARD_DIR: `/proc/hoard-test-${process.pid}`,
    HOARD_CONFIG: join(root, 'config.toml'),
  };

  it('a compile runs directly and succeeds; `hoard server start` says so in one line', async () => {
    const source = join(root, 'probe.c');
    writeFileSync(source, 'int probe(void) { return 5; }\n');
    const compile = await execa(join(REPO, 'bin', 'hoard'), ['gcc', '-c', source, '-o', `${source}.o`], {
      env,
      extendEnv: false,
      reject: false,
      timeout: 60_000,
    });
    expect(compile.timedOut).toBe(false);
    expect(compile.exitCode).toBe(0);
    expect(readFileSync(`${source}.o`).length).toBeGreaterThan(0);

    const start = await execa(join(REPO, 'bin', 'hoard'), ['server', 'start'], {
      env,
      extendEnv: false,
      reject: false,
      timeout: 60_000,
    });
    expect(start.timedOut).toBe(false);
    expect(start.exitCode).toBe(1);
    expect(start.stderr).toBe(
      `hoard: ENOENT: no such file or directory, mkdir '${env.HOARD_DIR}'; hoard writes under cache_dir and the state directory ` +
        '(HOARD_DIR, default ~/.cache/hoard): make that path a directory you can write, with space left, or set them elsewhere.',
    );
  });
});
