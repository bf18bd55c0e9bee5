import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  constants,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HOARD, REPO } from './e2e/harness.js';
import { SUBCOMMANDS } from '../src/cli/command-names.js';
import { SH_LANES_DIR } from '../src/protocol/lanes.js';
import { PROTOCOL_VERSION } from '../src/protocol/messages.js';
import { parseShRequest, printfFormat, PROBE_VALUE } from '../src/server/sh-request.js';

/** A stand-in for node (HOARD_NODE) that prints what it was started with. */
function fakeNode(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'hoard-bin-')), 'node');
  writeFileSync(
    path,
    '#!/bin/sh\nprintf \'%s\\n\' "$@"\nprintf \'CA=%s SAVED=%s\\n\' "${NODE_EXTRA_CA_CERTS-unset}" "${HOARD_NODE_EXTRA_CA_CERTS-unset}"\n',
  );
  chmodSync(path, 0o755);
  return path;
}

function launch(args: string[], env: Record<string, string>): string[] {
  const result = spawnSync(HOARD, args, { env: { PATH: process.env.PATH!, HOME: tmpdir(), ...env }, encoding: 'utf8' });
  expect(result.status).toBe(0);
  return result.stdout.trimEnd().split('\n');
}

describe('bin/hoard, the launcher', () => {
  const bundle = `${REPO}/bin/../dist/hoard.cjs`;

  it('starts node without rehashing its snapshot, hides NODE_EXTRA_CA_CERTS and keeps it for the compiler', () => {
    const lines = launch(['gcc', '-c', 'a.c'], { HOARD_NODE: fakeNode(), NODE_EXTRA_CA_CERTS: '/etc/ca.pem' });
    expect(lines).toEqual(['--no-rehash-snapshot', bundle, 'gcc', '-c', 'a.c', 'CA=unset SAVED=/etc/ca.pem']);
  });

  it('takes its node flags from HOARD_NODE_FLAGS when set, even to nothing', () => {
    const node = fakeNode();
    expect(launch(['stats'], { HOARD_NODE: node, HOARD_NODE_FLAGS: '' })).toEqual([
      bundle,
      'stats',
      'CA=unset SAVED=unset',
    ]);
    expect(
      launch(['stats'], { HOARD_NODE: node, HOARD_NODE_FLAGS: '--max-old-space-size=256 --stack-size=2000' }),
    ).toEqual(['--max-old-space-size=256', '--stack-size=2000', bundle, 'stats', 'CA=unset SAVED=unset']);
  });

  it('starts the server commands with V8 defaults (a foreground server runs in that process)', () => {
    expect(launch(['server', 'start', '--foreground'], { HOARD_NODE: fakeNode() })).toEqual([
      bundle,
      'server',
      'start',
      '--foreground',
      'CA=unset SAVED=unset',
    ]);
  });

  it('splits HOARD_NODE_FLAGS at spaces but never expands patterns in it', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'hoard-glob-'));
    writeFileSync(join(cwd, '--x=a'), '');
    const result = spawnSync(HOARD, ['gcc'], {
      cwd,
      env: { PATH: process.env.PATH!, HOME: cwd, HOARD_NODE: fakeNode(), HOARD_NODE_FLAGS: '--x=[ab]' },
      encoding: 'utf8',
    });
    expect(result.stdout.split('\n')[0]).toBe('--x=[ab]');
  });

  it("runs on this machine's node with its flag", () => {
    expect(launch(['--version'], {})).toEqual([expect.stringMatching(/^hoard \d+\.\d+\.\d+/)]);
  });
});

/** One sh lane of a stand-in server (this process): its FIFOs, opened as the server opens them. */
function fakeShLane(): { env: Record<string, string>; request: number; reply: number; node: string } {
  const root = mkdtempSync(join(tmpdir(), 'hoard-fast-'));
  const run = join(root, 'run');
  const lanes = join(run, 'hoard', `lanes-p${PROTOCOL_VERSION}`, SH_LANES_DIR);
  for (const dir of ['.taken', '.replies']) mkdirSync(join(lanes, dir), { recursive: true, mode: 0o700 });
  const id = `${process.pid}-1`;
  expect(spawnSync('mkfifo', ['-m', '600', join(lanes, id), join(lanes, '.replies', id)]).status).toBe(0);
  return {
    env: { PATH: process.env.PATH!, HOME: root, XDG_RUNTIME_DIR: run },
    request: openSync(join(lanes, id), constants.O_RDWR | constants.O_NONBLOCK),
    reply: openSync(join(lanes, '.replies', id), constants.O_RDWR | constants.O_NONBLOCK),
    node: fakeNode(),
  };
}

/** The request the launcher wrote, once it is whole (it ends with the NUL after export -p). */
async function readRequest(fd: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const chunk = Buffer.alloc(65536);
  for (let waited = 0; waited < 10_000; waited += 10) {
    try {
      const count = readSync(fd, chunk);
      chunks.push(Buffer.from(chunk.subarray(0, count)));
      const parsed = parseShRequest(Buffer.concat(chunks));
      if (parsed.kind !== 'incomplete') return Buffer.concat(chunks);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('no request on the lane');
}

function finished(child: ChildProcess): Promise<{ status: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (data: Buffer) => (stdout += data.toString()));
  child.stderr!.on('data', (data: Buffer) => (stderr += data.toString()));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

describe("bin/hoard's fast path, against a stand-in server", () => {
  it('sends the request exactly, replays a hit and exits with its status, without node', async () => {
    const lane = fakeShLane();
    const child = spawn(HOARD, ['gcc', '', 'two words', 'new\nline'], {
      env: { ...lane.env, HOARD_NODE: lane.node, ODD: "a'b\n\\ é" },
    });
    const done = finished(child);
    const parsed = parseShRequest(await readRequest(lane.request));
    expect(parsed.kind).toBe('request');
    if (parsed.kind !== 'request') return;
    expect(parsed.request.argv).toEqual(['gcc', '', 'two words', 'new\nline']);
    expect(parsed.request.env.ODD).toBe("a'b\n\\ é");
    expect(parsed.request.pid).toBe(child.pid);
    writeSync(
      lane.reply,
      `hit 3\n=${printfFormat(Buffer.from('out %s\n'))}\n=${printfFormat(Buffer.from('-err\\'))}\n`,
    );
    expect(await done).toEqual({ status: 3, stdout: 'out %s\n', stderr: '-err\\' });
  });

  it('hands the call to the Node wrapper when the server declines, or the lane closes before an answer', async () => {
    const declined = fakeShLane();
    const first = spawn(HOARD, ['gcc', '-c', 'a.c'], { env: { ...declined.env, HOARD_NODE: declined.node } });
    const firstDone = finished(first);
    await readRequest(declined.request);
    writeSync(declined.reply, 'node\n');
    expect((await firstDone).stdout).toContain('gcc\n-c\na.c\n');

    // The server died mid-request: its end of the reply closes, and the shell reads end-of-file.
    const dying = fakeShLane();
    const second = spawn(HOARD, ['gcc', '-c', 'b.c'], { env: { ...dying.env, HOARD_NODE: dying.node } });
    const secondDone = finished(second);
    await readRequest(dying.request);
    closeSync(dying.reply);
    const result = await secondDone;
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('gcc\n-c\nb.c\n');
  });

  it('hands a hit it cannot replay to the Node wrapper: a status no exit carries, an output file that is gone', async () => {
    for (const reply of ['hit 256\n=\n=\n', 'hit 1x\n=\n=\n', 'hit 0\n@/nonexistent/hoard-output\n=\n']) {
      const lane = fakeShLane();
      const child = spawn(HOARD, ['gcc', '-c', 'a.c'], { env: { ...lane.env, HOARD_NODE: lane.node } });
      const done = finished(child);
      await readRequest(lane.request);
      writeSync(lane.reply, reply);
      const result = await done;
      expect(result.stdout, reply).toContain('gcc\n-c\na.c\n');
      expect(result.status, reply).toBe(0);
    }
  });

  it('takes the next lane when the one it claimed was used and removed meanwhile', async () => {
    const lane = fakeShLane();
    const lanes = join(lane.env.XDG_RUNTIME_DIR!, 'hoard', `lanes-p${PROTOCOL_VERSION}`, SH_LANES_DIR);
    // Listed first, but its reply is gone: the server removed the lane after another client used it.
    expect(spawnSync('mkfifo', ['-m', '600', join(lanes, `${process.pid}-0`)]).status).toBe(0);
    const child = spawn(HOARD, ['gcc', '-c', 'd.c'], { env: { ...lane.env, HOARD_NODE: lane.node } });
    const done = finished(child);
    expect(parseShRequest(await readRequest(lane.request)).kind).toBe('request');
    writeSync(lane.reply, `hit 0\n=\n=\n`);
    expect(await done).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  it('never blocks on a lane its server let go of while it still runs: the Node wrapper takes the call', async () => {
    const lane = fakeShLane();
    // The server closed the lane (it is stopping, or swept it) after the launcher listed it.
    closeSync(lane.request);
    closeSync(lane.reply);
    const child = spawn(HOARD, ['gcc', '-c', 'c.c'], { env: { ...lane.env, HOARD_NODE: lane.node } });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const result = await finished(child);
    clearTimeout(timer);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('gcc\n-c\nc.c\n');
  });

  it('runs an uncacheable call itself, marked against recursion, with the descriptors it was given', async () => {
    const lane = fakeShLane();
    const script = join(mkdtempSync(join(tmpdir(), 'hoard-cc-')), 'cc');
    writeFileSync(script, '#!/bin/sh\nprintf "%s|" "$HOARD_NESTING" "$@"; ls /proc/$$/fd | tr "\\n" " "\n');
    chmodSync(script, 0o755);
    const child = spawn(HOARD, [script, '-E', 'x.c'], {
      env: { ...lane.env, HOARD_NODE: lane.node },
      stdio: ['ignore', 'pipe', 'pipe', 'ignore', 'pipe'],
    });
    const done = finished(child);
    await readRequest(lane.request);
    writeSync(lane.reply, 'run\nouter abc\n0\n');
    const result = await done;
    expect(result.status).toBe(0);
    const [nesting, first, second, descriptors] = result.stdout.split('|');
    expect([nesting, first, second]).toEqual(['outer abc', '-E', 'x.c']);
    // Descriptor 4 (a jobserver, say) reaches the compiler; the lane's (the highest free ones, 9 and 8) do not.
    const passed = descriptors!.trim().split(' ').map(Number);
    expect(passed).toContain(4);
    expect(passed).not.toContain(8);
    expect(passed).not.toContain(9);
  });

  it('agrees with the TypeScript side on the probe, the lanes directory and the command names', () => {
    const text = readFileSync(HOARD, 'utf8');
    const probe = /\n\s*(HOARD_FAST_PATH_PROBE='[\s\S]*?'\n)/.exec(text)![1]!;
    for (const shell of [['dash'], ['bash'], ['busybox', 'sh'], ['zsh', '--emulate', 'sh']]) {
      const printed = spawnSync(shell[0]!, [...shell.slice(1), '-c', `${probe}printf %s "$HOARD_FAST_PATH_PROBE"`], {
        encoding: 'utf8',
      });
      expect(printed.stdout, shell.join(' ')).toBe(PROBE_VALUE);
    }
    expect(text).toContain(`/lanes-p${PROTOCOL_VERSION}/.sh`);
    const names = /case \$\{1-\} in ([^)]*)\) return/
      .exec(text)![1]!
      .split('|')
      .map((name) => name.trim());
    expect(names.filter((name) => /^[a-z]+$/.test(name)).sort()).toEqual([...SUBCOMMANDS, 'version', 'hoard'].sort());
  });
});

/** A line the launcher sends after its request (`store <status>`, `abandon`), read from the lane. */
async function readLine(fd: number): Promise<string> {
  let text = '';
  const chunk = Buffer.alloc(256);
  for (let waited = 0; waited < 30_000; waited += 10) {
    try {
      text += chunk.subarray(0, readSync(fd, chunk)).toString();
      if (text.includes('\n')) return text.slice(0, text.indexOf('\n'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no line on the lane (so far: ${JSON.stringify(text)})`);
}

/**
 * A compiler that writes to stdout and stderr, then waits (up to 20 s) for the test to have seen both
 * before it goes on: output held back until the compile ends is seen too late, and says so.
 */
function chattyCompiler(mark: string): string {
  const script = join(mkdtempSync(join(tmpdir(), 'hoard-cc-')), 'cc');
  writeFileSync(
    script,
    [
      '#!/bin/sh',
      "printf 'early out\\n'",
      "printf 'early err\\n' >&2",
      'i=0',
      `while [ ! -e '${mark}' ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done`,
      `[ -e '${mark}' ] || printf 'NOT STREAMED\\n' >&2`,
      "printf 'late err\\n' >&2",
      'exit 3',
      '',
    ].join('\n'),
  );
  chmodSync(script, 0o755);
  return script;
}

describe("bin/hoard's fast path on a miss", () => {
  it('streams the compiler output to the caller as it is written, and keeps it whole for the cache', async () => {
    const lane = fakeShLane();
    const dir = mkdtempSync(join(tmpdir(), 'hoard-capture-'));
    const mark = join(dir, 'seen');
    const capture = join(dir, 'capture');
    const child = spawn(HOARD, [chattyCompiler(mark), '-c', 'a.c'], { env: { ...lane.env, HOARD_NODE: lane.node } });
    let stdout = '';
    let stderr = '';
    const seen = (): void => {
      if (stdout.includes('early out') && stderr.includes('early err')) writeFileSync(mark, '');
    };
    child.stdout.on('data', (data: Buffer) => {
      stdout += data.toString();
      seen();
    });
    child.stderr.on('data', (data: Buffer) => {
      stderr += data.toString();
      seen();
    });
    const status = new Promise((resolve) => child.on('close', resolve));
    await readRequest(lane.request);
    writeSync(lane.reply, `store\nouter\n0\n${capture}\n`);
    expect(await readLine(lane.request)).toBe('store 3');
    writeSync(lane.reply, 'stored\n');
    expect(await status).toBe(3);
    expect(stdout).toBe('early out\n');
    expect(stderr).toBe('early err\nlate err\n');
    expect(readFileSync(`${capture}.1`, 'utf8')).toBe(stdout);
    expect(readFileSync(`${capture}.2`, 'utf8')).toBe(stderr);
  });

  it('stores nothing when the copy of the output could not be kept, and the caller still gets all of it', async () => {
    const lane = fakeShLane();
    const dir = mkdtempSync(join(tmpdir(), 'hoard-capture-'));
    const mark = join(dir, 'seen');
    writeFileSync(mark, '');
    const capture = join(dir, 'capture');
    // stderr's copy lands on a full disk.
    symlinkSync('/dev/full', `${capture}.2`);
    const child = spawn(HOARD, [chattyCompiler(mark), '-c', 'a.c'], { env: { ...lane.env, HOARD_NODE: lane.node } });
    const done = finished(child);
    await readRequest(lane.request);
    writeSync(lane.reply, `store\nouter\n0\n${capture}\n`);
    expect(await readLine(lane.request)).toBe('abandon');
    const result = await done;
    expect(result.status).toBe(3);
    expect(result.stdout).toBe('early out\n');
    expect(result.stderr).toContain('early err\nlate err\n');
  });
});

/** A write end whose reader is gone, as the caller's stdout of `make 2>&1 | head` once head has exited. */
function readerGone(dir: string): number {
  const fifo = join(dir, 'closed');
  expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
  const reader = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
  const writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  closeSync(reader);
  return writer;
}

describe("bin/hoard's fast path when a tee dies early", () => {
  // stdout's tee dies of SIGPIPE on its first write and says so (`x`) beside the compiler's status.
  for (const shell of [['dash'], ['bash'], ['busybox', 'sh'], ['zsh', '--emulate', 'sh']]) {
    it(`keeps the compiler's status and stores nothing (${shell.join(' ')})`, async () => {
      const lane = fakeShLane();
      const dir = mkdtempSync(join(tmpdir(), 'hoard-capture-'));
      const compiler = join(dir, 'cc');
      writeFileSync(compiler, "#!/bin/sh\nprintf 'out\\n'\nexit 0\n");
      chmodSync(compiler, 0o755);
      const stdout = readerGone(dir);
      const child = spawn(shell[0]!, [...shell.slice(1), HOARD, compiler, '-c', 'a.c'], {
        env: { ...lane.env, HOARD_NODE: lane.node },
        stdio: ['ignore', stdout, 'ignore'],
      });
      closeSync(stdout);
      const status = new Promise((resolve) => child.on('close', resolve));
      await readRequest(lane.request);
      writeSync(lane.reply, `store\nouter\n0\n${join(dir, 'capture')}\n`);
      expect(await readLine(lane.request)).toBe('abandon');
      expect(await status).toBe(0);
    });
  }
});

describe("bin/hoard's fast path when its server goes silent", () => {
  /** A compiler that prints the recursion guard's mark and its arguments. */
  function markCompiler(): string {
    const script = join(mkdtempSync(join(tmpdir(), 'hoard-cc-')), 'cc');
    writeFileSync(script, '#!/bin/sh\nprintf "%s|" "$HOARD_NESTING" "$@"\n');
    chmodSync(script, 0o755);
    return script;
  }

  it("compiles directly on the watchdog's timeout, marked as a call through hoard, without node", async () => {
    const lane = fakeShLane();
    const child = spawn(HOARD, [markCompiler(), '-c', 'a.c'], {
      env: { ...lane.env, HOARD_NODE: lane.node, HOARD_NESTING: 'outer' },
    });
    const done = finished(child);
    await readRequest(lane.request);
    writeSync(lane.reply, 'timeout\n');
    const result = await done;
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(`outer sh${child.pid}|-c|a.c|`);
  });

  it('leaves a call nested 8 deep to the Node wrapper, which refuses it', async () => {
    const lane = fakeShLane();
    const nesting = 'a b c d e f g h';
    const child = spawn(HOARD, [markCompiler(), '-c', 'a.c'], {
      env: { ...lane.env, HOARD_NODE: lane.node, HOARD_NESTING: nesting },
    });
    const done = finished(child);
    await readRequest(lane.request);
    writeSync(lane.reply, 'timeout\n');
    const result = await done;
    // The stand-in node printed its arguments: the call went to the Node wrapper.
    expect(result.stdout).toContain('-c\na.c\n');
    expect(result.stdout).not.toContain('|');
  });

  it('prints nothing of a hit whose output lines are not whole, and hands it to the Node wrapper', async () => {
    const lane = fakeShLane();
    const child = spawn(HOARD, ['gcc', '-c', 'a.c'], { env: { ...lane.env, HOARD_NODE: lane.node } });
    const done = finished(child);
    await readRequest(lane.request);
    writeSync(lane.reply, `hit 0\n=${printfFormat(Buffer.from('replayed'))}\ntimeout\n`);
    const result = await done;
    expect(result.stdout).not.toContain('replayed');
    expect(result.stdout).toContain('gcc\n-c\na.c\n');
  });
});
