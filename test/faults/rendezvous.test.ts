import {
  chmodSync,
  chownSync,
  existsSync,
  lchownSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../src/protocol/framing.js';
import { PROTOCOL_VERSION } from '../../src/protocol/messages.js';
import { HOARD, REPO } from '../e2e/harness.js';
import { createOtherUser, otherUserUnavailable, type OtherUser } from './helpers.js';

const unavailable = otherUserUnavailable();

/**
 * Issue 18, case 3: with XDG_RUNTIME_DIR in a directory everyone can write (a shared /tmp path),
 * another user made `hoard` there first, or a link named so, and listened on its socket. That user's
 * server received the whole environment of every compile, and could have answered with files to write
 * and arguments to add. Now nobody but the user's own directory is used.
 */
describe.skipIf(unavailable)(
  `a socket directory another user controls${unavailable ? ` (skipped: ${unavailable})` : ''}`,
  () => {
    let root: string;
    let shared: string;
    let other: OtherUser;
    let fake: Server;
    const received: Buffer[] = [];
    let connections = 0;

    /** The other user's server: records what it is sent, and would have the compile run `touch PWNED`. */
    function listenAsThem(dir: string): Promise<void> {
      fake = createServer((socket) => {
        connections += 1;
        socket.on('data', (chunk) => {
          received.push(chunk);
          socket.write(
            encodeFrame({
              type: 'run',
              store: true,
              extraArgs: ['-wrapper', `/bin/sh,-c,touch ${join(root, 'PWNED')}; exec "$0" "$@"`],
            }),
          );
        });
      });
      return new Promise((resolve) => fake.listen(join(dir, 'server.sock'), resolve));
    }

    function userEnv(): Record<string, string> {
      return {
        PATH: process.env.PATH!,
        HOME: join(root, 'home'),
        XDG_RUNTIME_DIR: shared,
        XDG_CACHE_HOME: join(root, 'home', 'cache'),
        XDG_CONFIG_HOME: join(root, 'home', 'config'),
        SECRET_API_TOKEN: 'do-not-leak-7f3a',
      };
    }

    async function compile(): Promise<{ exitCode: number; stderr: string }> {
      const project = join(root, 'project');
      mkdirSync(project, { recursive: true });
      writeFileSync(join(project, 'x.c'), 'int answer(void) { return 42; }\n');
      rmSync(join(project, 'x.o'), { force: true });
      const result = await execa(HOARD, ['gcc', '-c', 'x.c', '-o', 'x.o'], {
        cwd: project,
        env: userEnv(),
        extendEnv: false,
        reject: false,
        timeout: 60_000,
      });
      expect(existsSync(join(project, 'x.o'))).toBe(true);
      return { exitCode: result.exitCode ?? 1, stderr: result.stderr };
    }

    beforeAll(() => {
      // The other user must reach the shared directory, as they reach /tmp: so it is made in /tmp itself,
      // not under the test run's own TMPDIR, which only this user may enter.
      root = mkdtempSync(join('/tmp', 'hoard-fault-rendezvous-'));
      chmodSync(root, 0o711);
      shared = join(root, 'shared');
      mkdirSync(shared);
      chmodSync(shared, 0o1777);
      mkdirSync(join(root, 'home'), { mode: 0o700 });
      other = createOtherUser();
    });

    afterAll(async () => {
      await new Promise((resolve) => (fake ? fake.close(resolve) : resolve(undefined)));
      other?.remove();
      rmSync(root, { recursive: true, force: true });
    });

    it('a pre-created directory of theirs: the wrapper says so in one line, compiles directly, and sends them nothing', async () => {
      const theirs = join(shared, 'hoard');
      mkdirSync(theirs, { mode: 0o700 });
      await listenAsThem(theirs);
      // A lane they offer is not taken either.
      mkdirSync(join(theirs, `lanes-p${PROTOCOL_VERSION}`), { mode: 0o700 });
      writeFileSync(join(theirs, `lanes-p${PROTOCOL_VERSION}`, '1-1'), '');
      chownSync(join(theirs, `lanes-p${PROTOCOL_VERSION}`, '1-1'), other.uid, other.gid);
      chownSync(join(theirs, `lanes-p${PROTOCOL_VERSION}`), other.uid, other.gid);
      chownSync(theirs, other.uid, other.gid);

      const result = await compile();
      expect(result.exitCode).toBe(0);
      expect(connections).toBe(0);
      expect(Buffer.concat(received).toString()).not.toContain('do-not-leak');
      expect(existsSync(join(root, 'PWNED'))).toBe(false);
      expect(existsSync(join(theirs, `lanes-p${PROTOCOL_VERSION}`, '1-1'))).toBe(true);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(
          `^hoard: ${theirs} belongs to user ${other.uid}, not to you \\(0\\), so hoard will not use its server there: remove it .*; compiling directly\\.$`,
        ),
      );
    });

    it('the command-line tool refuses it in one line, without a stack trace', async () => {
      for (const args of [
        ['server', 'status'],
        ['stats', '--json'],
      ]) {
        const result = await execa(HOARD, args, { env: userEnv(), extendEnv: false, reject: false, timeout: 60_000 });
        expect(result.exitCode, args.join(' ')).toBe(1);
        expect(result.stderr).toMatch(
          /^hoard: .* belongs to user \d+, not to you \(0\), so hoard will not talk to a server there: remove it/,
        );
        expect(result.stderr.trim().split('\n')).toHaveLength(1);
      }
      expect(connections).toBe(0);
    });

    it('a symbolic link of theirs to a directory of theirs: the same', async () => {
      await new Promise((resolve) => fake.close(resolve));
      rmSync(join(shared, 'hoard'), { recursive: true, force: true });
      const target = join(shared, 'elsewhere');
      mkdirSync(target, { mode: 0o700 });
      await listenAsThem(target);
      chownSync(target, other.uid, other.gid);
      symlinkSync(target, join(shared, 'hoard'));
      lchownSync(join(shared, 'hoard'), other.uid, other.gid);

      const result = await compile();
      expect(result.exitCode).toBe(0);
      expect(connections).toBe(0);
      expect(existsSync(join(root, 'PWNED'))).toBe(false);
      expect(result.stderr.trim()).toMatch(
        /^hoard: \S+ is a symbolic link, so hoard will not use its server there: .*compiling directly\.$/,
      );
    });

    it('the server neither follows a link of theirs into a directory of the user nor chmods it', async () => {
      rmSync(join(shared, 'hoard'), { force: true });
      const publicDir = join(root, 'home', 'public');
      mkdirSync(publicDir);
      chmodSync(publicDir, 0o755);
      symlinkSync(publicDir, join(shared, 'hoard'));
      lchownSync(join(shared, 'hoard'), other.uid, other.gid);

      const server = await execa(process.execPath, [join(REPO, 'dist', 'server.mjs'), '--foreground'], {
        env: userEnv(),
        extendEnv: false,
        reject: false,
        timeout: 30_000,
      });
      expect(server.timedOut).toBe(false);
      expect(server.exitCode).not.toBe(0);
      expect(server.stderr.trim()).toMatch(
        /^hoard server: \S+ is a symbolic link, so hoard will not use its server there: remove it[^\n]*$/,
      );
      expect(statSync(publicDir).mode & 0o777).toBe(0o755);
      expect(existsSync(join(publicDir, 'server.sock'))).toBe(false);
    });

    it('as the other user: a socket in their own directory that they may not open (root made it) is one line, not a stack trace', async () => {
      const theirs = join(root, 'theirs');
      mkdirSync(join(theirs, 'run'), { recursive: true, mode: 0o700 });
      const rootsServer = createServer(() => undefined);
      await new Promise<void>((resolve) => rootsServer.listen(join(theirs, 'run', 'server.sock'), resolve));
      chmodSync(join(theirs, 'run', 'server.sock'), 0o700);
      chownSync(join(theirs, 'run'), other.uid, other.gid);
      chownSync(theirs, other.uid, other.gid);
      try {
        const result = await execa('runuser', ['-u', other.name, '--', HOARD, 'stats', '--json'], {
          env: { PATH: process.env.PATH!, HOME: theirs, HOARD_DIR: theirs },
          extendEnv: false,
          reject: false,
          timeout: 60_000,
        });
        expect(result.exitCode).toBe(1);
        expect(result.stderr.trim()).toMatch(
          /^hoard: you may not open \S+server\.sock \(permission denied\): it is not your server's; remove it or make it yours alone/,
        );
        expect(result.stderr.trim().split('\n')).toHaveLength(1);
      } finally {
        await new Promise((resolve) => rootsServer.close(resolve));
      }
    });
  },
);
