import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HOARD } from '../e2e/harness.js';
import { SH_LANES_DIR, TAKEN_DIR, TOLD_DIR } from '../../src/protocol/lanes.js';
import { startServer, type TestServer } from './server-process.js';

/** bin/hoard with the server's environment; resolves with its status once it exits. */
function compile(server: TestServer, cwd: string, extraEnv: Record<string, string> = {}): Promise<number | null> {
  const child = spawn(HOARD, ['gcc', '-c', 'x.c', '-o', 'x.o'], {
    cwd,
    env: { ...server.env, HOARD_FAST_PATH: '1', ...extraEnv },
    stdio: 'ignore',
  });
  return new Promise((resolve) => child.on('close', resolve));
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 50) {
    if (waited > 20_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The server's counters, as `hoard stats --json` gives them. */
function counters(server: TestServer): { hits: number; bytesStored: number; errors: Record<string, number> } {
  const result = spawnSync(HOARD, ['stats', '--json'], { env: server.env, encoding: 'utf8' });
  return JSON.parse(result.stdout).counters;
}

function project(): string {
  const cwd = mkdtempSync(join(tmpdir(), 'hoard-silent-'));
  writeFileSync(join(cwd, 'x.c'), 'int x(void) { return 7; }\n');
  return cwd;
}

describe('a server that goes silent or dies after taking a fast-path request', () => {
  it('the shell compiles directly once the watchdog says the server is silent, without node', async () => {
    const server = await startServer();
    try {
      const shLanes = join(server.lanesDir, SH_LANES_DIR);
      await until(() => existsSync(shLanes) && readdirSync(shLanes).some((name) => /^\d+-\d+$/.test(name)), 'sh lanes');
      const cwd = project();
      // A stand-in node that leaves a mark: the shell must not need it.
      const node = join(cwd, 'node');
      writeFileSync(node, `#!/bin/sh\ntouch '${join(cwd, 'node-ran')}'\nexit 99\n`);
      chmodSync(node, 0o755);
      process.kill(server.pid, 'SIGSTOP');
      try {
        const status = await compile(server, cwd, { HOARD_NODE: node });
        expect(status).toBe(0);
        expect(existsSync(join(cwd, 'x.o'))).toBe(true);
        expect(existsSync(join(cwd, 'node-ran'))).toBe(false);
      } finally {
        process.kill(server.pid, 'SIGCONT');
      }
    } finally {
      await server.stop();
    }
  }, 60_000);

  it('a resumed server stores nothing for a shell its watchdog told timeout while it compiled', async () => {
    const server = await startServer();
    try {
      const shLanes = join(server.lanesDir, SH_LANES_DIR);
      await until(() => existsSync(shLanes) && readdirSync(shLanes).some((name) => /^\d+-\d+$/.test(name)), 'sh lanes');
      const cwd = project();
      // A gcc whose compile waits for the test (its preprocessing and questions do not).
      const bin = join(cwd, 'bin');
      mkdirSync(bin);
      const gcc = execFileSync('sh', ['-c', 'command -v gcc']).toString().trim();
      writeFileSync(
        join(bin, 'gcc'),
        `#!/bin/sh\ncase " $* " in *" -E "*) ;; *" -c "*) touch '${join(cwd, 'started')}'\n` +
          `  while [ ! -e '${join(cwd, 'go')}' ]; do sleep 0.05; done ;; esac\nexec '${gcc}' "$@"\n`,
      );
      chmodSync(join(bin, 'gcc'), 0o755);
      const path = { PATH: `${bin}:${server.env.PATH}` };
      const status = compile(server, cwd, path);
      await until(() => existsSync(join(cwd, 'started')), 'the compile to start');
      process.kill(server.pid, 'SIGSTOP');
      try {
        // The watchdog tells the shell while it compiles (a request line already written would be read away).
        // Its mark shows when; a server without marks is given time enough for the watchdog's two looks.
        const toldSince = Date.now();
        await until(
          () => existsSync(join(shLanes, TOLD_DIR)) || Date.now() - toldSince > 16_000,
          'the watchdog to tell the shell',
        );
        writeFileSync(join(cwd, 'go'), '');
        // The shell says `store 0`, reads the watchdog's `timeout` where `stored` would be, and exits.
        expect(await status).toBe(0);
        // The caller rebuilds the object otherwise: the server must not store this one under the old key.
        writeFileSync(join(cwd, 'x.o'), 'another compile’s object');
      } finally {
        process.kill(server.pid, 'SIGCONT');
      }
      const done = (place: string): boolean => !existsSync(place) || readdirSync(place).length === 0;
      await until(
        () => done(join(shLanes, TAKEN_DIR)) && done(join(shLanes, TOLD_DIR)),
        'the server to let go of the lane',
      );
      // A store would show within moments; none may come.
      for (let look = 0; look < 20; look += 1) {
        expect(counters(server).bytesStored).toBe(0);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await server.stop();
    }
  }, 90_000);

  it('the shell goes on when the server is killed while it waits for the answer', async () => {
    const server = await startServer();
    try {
      const shLanes = join(server.lanesDir, SH_LANES_DIR);
      await until(() => existsSync(shLanes) && readdirSync(shLanes).some((name) => /^\d+-\d+$/.test(name)), 'sh lanes');
      const cwd = project();
      process.kill(server.pid, 'SIGSTOP');
      const status = compile(server, cwd);
      await until(() => readdirSync(join(shLanes, TAKEN_DIR)).length > 0, 'the lane to be taken');
      process.kill(server.pid, 'SIGKILL');
      expect(await status).toBe(0);
      expect(existsSync(join(cwd, 'x.o'))).toBe(true);
    } finally {
      // The Node wrapper started a server of its own in the same directory: stop it too.
      await new Promise((resolve) =>
        spawn(HOARD, ['server', 'stop'], { env: server.env, stdio: 'ignore' }).on('close', resolve),
      );
      await server.stop();
    }
  }, 60_000);
});
