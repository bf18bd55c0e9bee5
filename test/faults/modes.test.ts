import { chmodSync, lstatSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { createSandbox, expectSuccess, HOARD, type Sandbox } from '../e2e/harness.js';

/** Every directory and file below `dir` whose mode lets in someone `closed` forbids, with its mode. */
function openEntries(dir: string, closed: number): string[] {
  const open: string[] = [];
  const visit = (path: string): void => {
    const info = lstatSync(path);
    if ((info.mode & closed) !== 0) open.push(`${path} ${(info.mode & 0o777).toString(8)}`);
    if (info.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(dir);
  return open;
}

/**
 * Issue 18, case 6: the cache was world-readable (0755 directories, 0644 files: the umask default), so
 * another user read cached objects, recorded stderr and the server log. Built here with umask 022.
 */
describe('file modes after a build', () => {
  let sandbox: Sandbox | undefined;
  afterEach(async () => {
    await sandbox?.dispose();
    sandbox = undefined;
  });

  async function buildTwice(extraEnv: Record<string, string> = {}): Promise<{ stateDir: string; project: string }> {
    sandbox = createSandbox();
    const env = { ...sandbox.env, ...extraEnv };
    // A cache directory left open by an earlier hoard, with a log in it.
    const stateDir = join(sandbox.root, 'cache', 'hoard');
    mkdirSync(stateDir, { recursive: true });
    chmodSync(stateDir, 0o755);
    writeFileSync(join(stateDir, 'server.log'), '', { mode: 0o644 });
    const project = sandbox.project('c-project');
    const make = (args: string[]) =>
      execa('sh', ['-c', `umask 022 && exec make -s CC="${HOARD} gcc" "$@"`, 'make', ...args], {
        cwd: project,
        env,
        extendEnv: false,
        reject: false,
      }).then((result) => ({
        exitCode: result.exitCode ?? 1,
        stdout: result.stdout,
        stderr: result.stderr,
      }));
    expectSuccess(await make([]), 'cold make');
    expectSuccess(await make(['clean']), 'make clean');
    expectSuccess(await make([]), 'warm make');
    const stats = (await sandbox.hoard(['stats', '--json'], extraEnv)).stdout;
    expect(JSON.parse(stats).counters.byKind.c.hits).toBe(3);
    return { stateDir, project };
  }

  it('private by default: 0700 directories and 0600 files in the cache and the socket directory, whatever the umask', async () => {
    const { stateDir, project } = await buildTwice();
    expect(readdirSync(join(stateDir, 'entries')).length).toBeGreaterThan(0);
    expect(openEntries(stateDir, 0o077).filter((entry) => !entry.startsWith(join(stateDir, 'server.log ')))).toEqual(
      [],
    );
    expect(openEntries(join(sandbox!.root, 'run', 'hoard'), 0o077)).toEqual([]);
    // Restored outputs keep the modes the compiler gave them: the build's files are not the cache's.
    expect(statSync(join(project, 'main.o')).mode & 0o777).toBe(0o644);
  });

  it('cache_access = "group" opens the cache to the group, never to others', async () => {
    const { stateDir } = await buildTwice({ HOARD_CACHE_ACCESS: 'group' });
    expect(openEntries(stateDir, 0o007).filter((entry) => !entry.startsWith(join(stateDir, 'server.log ')))).toEqual(
      [],
    );
    expect(statSync(join(stateDir, 'entries')).mode & 0o777).toBe(0o770);
    // The socket's directory stays the user's alone: a server is per user.
    expect(statSync(join(sandbox!.root, 'run', 'hoard')).mode & 0o777).toBe(0o700);
  });
});
