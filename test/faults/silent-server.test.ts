import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HOARD } from '../e2e/harness.js';
import { SH_LANES_DIR, TAKEN_DIR } from '../../src/protocol/lanes.js';
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
