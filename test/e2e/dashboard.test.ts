import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachDecoder, encodeFrame } from '../../src/protocol/framing.js';
import { PROTOCOL_VERSION, type LiveUpdate, type ServerMessage } from '../../src/protocol/messages.js';
import type { StatsSnapshot } from '../../src/stats/snapshot.js';
import {
  createSandbox,
  expectSuccess,
  HOARD,
  requireBuiltAndInstalled,
  toolsSkipReason,
  type Sandbox,
} from './harness.js';

const PROMPT = 'dash-ready$ ';
const WIDTH = 100;
const HEIGHT = 32;

async function git(cwd: string, ...args: string[]): Promise<void> {
  await execa('git', ['-c', 'user.name=hoard', '-c', 'user.email=hoard@example.invalid', ...args], { cwd });
}

/** Waits, bounded, until `read` gives something `accept` takes; the failure shows the last value. */
async function eventually<T>(
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  what: string,
  limitMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + limitMs;
  let value = await read();
  while (!accept(value)) {
    if (Date.now() > deadline)
      throw new Error(`${what}; last seen:\n${typeof value === 'string' ? value : JSON.stringify(value, null, 2)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    value = await read();
  }
  return value;
}

/**
 * A real terminal: a tmux server of its own, started with the sandbox's environment and CI=true, as CI
 * runs it: Ink, left to itself, draws nothing there until it exits.
 */
function terminal(sandbox: Sandbox) {
  const socket = join(sandbox.root, 'tmux.sock');
  const tmux = (...args: string[]) =>
    execa('tmux', ['-S', socket, ...args], {
      env: { ...sandbox.env, CI: 'true' },
      extendEnv: false,
      cwd: sandbox.root,
    });
  return {
    start: () =>
      tmux('new-session', '-d', '-s', 'dash', '-x', String(WIDTH), '-y', String(HEIGHT), `env PS1='${PROMPT}' sh`),
    type: (text: string) => tmux('send-keys', '-t', 'dash', '-l', text),
    press: (...keys: string[]) => tmux('send-keys', '-t', 'dash', ...keys),
    screen: async () => (await tmux('capture-pane', '-t', 'dash', '-p')).stdout,
    stop: () => tmux('kill-server').catch(() => undefined),
  };
}

function worktreeStats(snapshot: StatsSnapshot, root: string) {
  return Object.values(snapshot.worktrees).find((record) => record.worktree.root === root)?.counters;
}

/** The dashboard's row for the worktree whose directory ends in `name`, with its REQ, HITS and MISS. */
function rowOf(screen: string, name: string): { requests: number; hits: number; misses: number } | undefined {
  const line = screen.split('\n').find((text) => new RegExp(`/${name}\\s`).test(text));
  const numbers = line?.match(/\s(\d+)\s+(\d+)\s+(\d+)\s+\d+\s+[\d.-]/);
  return numbers ? { requests: Number(numbers[1]), hits: Number(numbers[2]), misses: Number(numbers[3]) } : undefined;
}

describe.skipIf(toolsSkipReason('the dashboard in a terminal', ['tmux', 'git']))(
  'hoard stats in a terminal: the live dashboard',
  () => {
    let sandbox: Sandbox;
    let project: string;
    let term: ReturnType<typeof terminal>;

    beforeAll(async () => {
      requireBuiltAndInstalled('workspace');
      sandbox = createSandbox();
      project = sandbox.project('workspace', 'dash-ws');
      await git(project, 'init', '-q', '-b', 'main');
      await git(project, 'add', '.');
      await git(project, 'commit', '-q', '-m', 'fixture');
      term = terminal(sandbox);
      await term.start();
      await eventually(term.screen, (screen) => screen.includes(PROMPT.trimEnd()), 'the shell prompt');
    });

    afterAll(async () => {
      await term?.stop();
      await sandbox?.dispose();
    });

    it('shows the worktree row appear and its hits rise while cargo builds, and q gives the shell back', async () => {
      await term.type(`${HOARD} stats`);
      await term.press('Enter');
      await eventually(
        term.screen,
        (screen) => screen.includes('server not running · showing saved statistics') && screen.includes('q quit'),
        'the dashboard without a server',
      );

      // Cold build: the server starts, the dashboard finds it and the worktree's row appears with misses.
      expectSuccess(await sandbox.cargo(project, ['build']), 'cold build');
      const cold = worktreeStats(await sandbox.stats(), project)!;
      expect(cold.misses).toBeGreaterThan(0);
      await eventually(
        term.screen,
        (screen) => screen.includes('server running') && rowOf(screen, 'dash-ws')?.misses === cold.misses,
        'the row after the cold build',
      );
      expect(rowOf(await term.screen(), 'dash-ws')!.hits).toBe(0);

      // Warm build after cargo clean: the same row, now with hits, as the server counts them.
      expectSuccess(await sandbox.cargo(project, ['clean']), 'cargo clean');
      expectSuccess(await sandbox.cargo(project, ['build']), 'warm build');
      const warm = worktreeStats(await sandbox.stats(), project)!;
      expect(warm.hits).toBeGreaterThan(0);
      const screen = await eventually(
        term.screen,
        (text) => rowOf(text, 'dash-ws')?.hits === warm.hits,
        'the hits after the warm build',
      );
      expect(rowOf(screen, 'dash-ws')).toEqual({ requests: warm.requests, hits: warm.hits, misses: warm.misses });
      expect(screen).toMatch(/hit\s+\S+\s+rust library/);
      expect(screen).toContain(`hits in`);
      expect(screen).toMatch(/\d+ from itself/);

      // The server stops: the dashboard says so and keeps the saved numbers; the next build brings it back.
      expectSuccess(await sandbox.hoard(['server', 'stop']), 'hoard server stop');
      const stopped = await eventually(
        term.screen,
        (text) => text.includes('server not running'),
        'the dashboard after the server stopped',
      );
      expect(rowOf(stopped, 'dash-ws')?.hits).toBe(warm.hits);
      // Something to compile, so that the build starts a server (a fresh build asks nothing).
      utimesSync(join(project, 'wt-app', 'src', 'main.rs'), new Date(), new Date());
      expectSuccess(await sandbox.cargo(project, ['build']), 'build with a new server');
      await eventually(term.screen, (text) => text.includes('server running'), 'the dashboard back on the new server');

      // A source edited: its miss shows its cause in the row, and w explains the compile selected.
      const source = join(project, 'wt-util', 'src', 'lib.rs');
      writeFileSync(source, `${readFileSync(source, 'utf8')}\npub fn edited_for_the_dashboard() {}\n`);
      expectSuccess(await sandbox.cargo(project, ['build']), 'build after an edit');
      await eventually(
        term.screen,
        (text) => /miss\s+wt_util\s.*edit lib\.rs/.test(text),
        "the edited crate's miss and its cause",
      );
      await term.press('w');
      await eventually(term.screen, (text) => /why \S+ \(/.test(text), 'the explanation of the newest compile');
      let explained = await term.screen();
      for (let step = 0; step < 12 && !explained.includes('why wt_util (miss'); step += 1) {
        await term.press('Down');
        await new Promise((resolve) => setTimeout(resolve, 150));
        explained = await term.screen();
      }
      explained = await eventually(
        term.screen,
        (text) => text.includes('why wt_util (miss') && text.includes('source wt-util/src/lib.rs changed'),
        'the explanation of the edited crate',
      );
      expect(explained).toContain('w or esc close');
      await term.press('w');
      await eventually(
        term.screen,
        (text) => !text.includes('why wt_util (miss') && text.includes('w why'),
        'the explanation closed',
      );

      await term.press('q');
      await eventually(
        term.screen,
        (text) => !text.includes('q quit') && text.trimEnd().endsWith(PROMPT.trimEnd()),
        'the shell prompt after q',
      );
      await term.type(
        'echo "dashboard exit=$?"; stty -a | tr " " "\\n" | grep -x -e icanon -e echo -e -icanon -e -echo',
      );
      await term.press('Enter');
      const after = await eventually(
        term.screen,
        (text) => /dashboard exit=\d+/.test(text) && text.trimEnd().endsWith(PROMPT.trimEnd()),
        'the shell answering after q',
      );
      expect(after).toContain('dashboard exit=0');
      // The terminal is back in line mode with echo: Ink's raw mode is undone.
      const modes = after
        .slice(after.indexOf('dashboard exit=0'))
        .split('\n')
        .map((line) => line.trim());
      expect(modes).toContain('icanon');
      expect(modes).toContain('echo');
      expect(modes).not.toContain('-icanon');
    });

    it('piped, hoard stats still prints the table', async () => {
      const result = await sandbox.hoard(['stats']);
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toMatch(/^Compile requests\s+\d+/);
    });
  },
);

/** A subscriber as the dashboard is one: connected, subscribed, collecting what the server pushes. */
function subscribe(socketPath: string): Promise<{ updates: LiveUpdate[]; closed: Promise<void>; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    const updates: LiveUpdate[] = [];
    const closed = new Promise<void>((done) => socket.on('close', () => done()));
    socket.once('error', reject);
    attachDecoder(
      socket,
      (message) => {
        if ((message as ServerMessage).type === 'live') updates.push(message as LiveUpdate);
      },
      reject,
    );
    socket.once('connect', () => {
      socket.write(encodeFrame({ v: PROTOCOL_VERSION, type: 'subscribe' }));
      resolve({ updates, closed, socket });
    });
  });
}

describe('a dashboard subscription does not keep the server alive', () => {
  let sandbox: Sandbox;
  const socketPath = (): string => join(sandbox.root, 'run', 'hoard', 'server.sock');

  beforeAll(() => {
    requireBuiltAndInstalled('workspace');
    sandbox = createSandbox();
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('hoard server stop finishes at once with a subscriber connected, which is told why', async () => {
    expectSuccess(await sandbox.hoard(['server', 'start']), 'server start');
    const subscriber = await subscribe(socketPath());
    await eventually(
      async () => subscriber.updates.length,
      (count) => count > 0,
      'the first update',
      10_000,
    );
    expect(subscriber.updates[0]!.snapshot.server.running).toBe(true);
    const stop = await sandbox.hoard(['server', 'stop']);
    expect(stop.stdout).toContain('hoard server stopped');
    await subscriber.closed;
    expect(subscriber.updates.at(-1)?.stopping).toBe('asked to stop');
  });

  it('the server still exits when idle with a subscriber connected', async () => {
    mkdirSync(join(sandbox.root, 'config', 'hoard'), { recursive: true });
    writeFileSync(join(sandbox.root, 'config', 'hoard', 'config.toml'), 'idle_timeout = "1s"\n');
    expectSuccess(await sandbox.hoard(['server', 'start']), 'server start');
    const subscriber = await subscribe(socketPath());
    await subscriber.closed;
    expect(subscriber.updates.at(-1)?.stopping).toMatch(/idle for 1 s/);
    expect(existsSync(socketPath())).toBe(false);
  });
});
