import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realpathSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { callFingerprint, nestedEnvironment, recursionMessage } from '../wrapper/recursion.js';
import { restoreFilesAsync as restoreFiles } from '../wrapper/restore-files-async.js';
import type { Conversation } from './conversation.js';
import { compileRequestFor, serveShConversation, type ShellProcess, type ShLaneDependencies } from './sh-lane.js';
import { PROBE_VALUE, PROBE_VARIABLE, type ShRequest } from './sh-request.js';

const wrapper = { callFingerprint, nestedEnvironment, recursionMessage, restoreFiles };
const cwd = realpathSync(mkdtempSync(join(tmpdir(), 'hoard-sh-lane-')));
const shellIn = (overrides: Partial<ShellProcess> = {}): ShellProcess => ({
  cwd,
  environmentNames: ['PATH', 'HOME'],
  umask: 0o022,
  ...overrides,
});
const request = (argv: string[], env: Record<string, string> = {}, pwd = cwd): ShRequest => ({
  pid: 1,
  pwd,
  argv,
  env: { PATH: '/usr/bin', ...env },
  length: 0,
});

describe('compileRequestFor: the checks the Node wrapper makes, and those a shell needs', () => {
  it('gives the request the Node wrapper would send: the environment marked with this call, bin/hoard’s notes undone', () => {
    const checked = compileRequestFor(
      request(['gcc', '-c', 'a.c'], {
        HOARD_NESTING: 'outer',
        HOARD_INVOKED_AS: '/x/hoard',
        NODE_EXTRA_CA_CERTS: '/ca.pem',
      }),
      shellIn(),
      wrapper,
    );
    const call = callFingerprint(cwd, 'gcc', ['-c', 'a.c']);
    expect(checked).toEqual({
      nesting: `outer ${call}`,
      request: {
        v: expect.any(Number),
        type: 'compile',
        cwd,
        argv: ['gcc', '-c', 'a.c'],
        env: { PATH: '/usr/bin', HOARD_NESTING: `outer ${call}`, NODE_EXTRA_CA_CERTS: '/ca.pem' },
      },
    });
    // bin/hoard's note for Node, set by hand before the fast path: the compiler would not get it back.
    expect(compileRequestFor(request(['gcc'], { HOARD_NODE_EXTRA_CA_CERTS: '/ca.pem' }), shellIn(), wrapper)).toEqual({
      declined: 'setting',
    });
  });

  it('declines what it cannot be sure of: another directory, names no shell lists, unknown HOARD_ settings', () => {
    expect(compileRequestFor(request(['gcc']), shellIn({ cwd: '/elsewhere' }), wrapper)).toEqual({ declined: 'cwd' });
    expect(compileRequestFor(request(['gcc'], {}, '/no/such/dir'), shellIn(), wrapper)).toEqual({ declined: 'cwd' });
    expect(
      compileRequestFor(request(['gcc']), shellIn({ environmentNames: ['PATH', 'BASH_FUNC_f%%'] }), wrapper),
    ).toEqual({ declined: 'environment-names' });
    expect(compileRequestFor(request(['gcc'], { HOARD_SOMETHING_NEW: '1' }), shellIn(), wrapper)).toEqual({
      declined: 'setting',
    });
    expect(compileRequestFor(request(['gcc'], { HOARD_LOG_LEVEL: 'debug' }), shellIn(), wrapper)).toHaveProperty(
      'request',
    );
  });

  it('declines recursion as the Node wrapper would refuse it: its own call again, too deep, a compiler that is hoard', () => {
    const call = callFingerprint(cwd, 'gcc', ['-c', 'a.c']);
    expect(
      compileRequestFor(request(['gcc', '-c', 'a.c'], { HOARD_NESTING: `x ${call}` }), shellIn(), wrapper),
    ).toEqual({ declined: 'recursion' });
    expect(compileRequestFor(request(['gcc'], { HOARD_NESTING: 'a b c d e f g h' }), shellIn(), wrapper)).toEqual({
      declined: 'recursion',
    });
    // A relative compiler path resolves against the caller's directory, not the server's.
    writeFileSync(join(cwd, 'hoard'), '');
    symlinkSync(join(cwd, 'hoard'), join(cwd, 'cc'));
    expect(compileRequestFor(request(['./cc', '-c', 'a.c']), shellIn(), wrapper)).toEqual({ declined: 'recursion' });
  });
});

/** A lane's conversation as the server sees it, driven by the test. */
class FakeLane extends EventEmitter implements Conversation {
  destroyed = false;
  written = '';
  write(bytes: Uint8Array): boolean {
    this.written += Buffer.from(bytes).toString();
    return true;
  }
  end(): void {}
  destroy(): void {
    this.destroyed = true;
    this.emit('close');
  }
}

function shellRequest(argv: string[]): Buffer {
  const listing = Buffer.from(
    `export PATH='/usr/bin'\nexport ${PROBE_VARIABLE}='${PROBE_VALUE.replaceAll("'", `'"'"'`)}'\n`,
  );
  return Buffer.concat([
    Buffer.from(`hoard-sh 1 77 ${argv.length} sh\n${cwd}\0${argv.map((argument) => `${argument}\0`).join('')}`),
    listing,
    Buffer.from([0]),
  ]);
}

describe('serveShConversation: the shell’s lines around the usual handlers', () => {
  const logged: string[] = [];
  const deps = (answerCompile: ShLaneDependencies['answerCompile']): ShLaneDependencies => ({
    answerCompile,
    tmpDir: cwd,
    log: {
      debug: () => undefined,
      warn: (message) => logged.push(message),
      error: (message) => logged.push(message),
    } as ShLaneDependencies['log'],
    counts: { served: 0, declined: {} },
    inspect: () => shellIn(),
    wrapper,
  });

  it('writes a hit’s files, reports them to the handler, and answers hit with the output as printf formats', async () => {
    const lane = new FakeLane();
    const source = join(cwd, 'blob');
    writeFileSync(source, 'object bytes');
    let report: unknown;
    const served = serveShConversation(
      lane,
      deps(async (request, exchange) => {
        expect(request.argv).toEqual(['gcc', '-c', 'a.c']);
        exchange.reply({ type: 'wait', timeoutMs: 1 });
        exchange.reply({
          type: 'hit',
          files: [{ path: join(cwd, 'a.o'), from: source }],
          stdout: Buffer.from('50%\n').toString('base64'),
          stderr: '',
          exitCode: 0,
        });
        report = await exchange.next(1000);
      }),
    );
    lane.emit('data', shellRequest(['gcc', '-c', 'a.c']));
    await served;
    expect(readFileSync(join(cwd, 'a.o'), 'utf8')).toBe('object bytes');
    expect(report).toMatchObject({ type: 'restored', identities: [expect.any(String)] });
    expect(lane.written).toBe('hit 0\n=50%%\\012\n=\n');
  });

  it('on a miss, reads the output the shell captured when it says store, and acknowledges', async () => {
    const lane = new FakeLane();
    let store: unknown;
    const served = serveShConversation(
      lane,
      deps(async (_request, exchange) => {
        exchange.reply({ type: 'run', store: true, extraArgs: ['--remap-path-prefix=/w=.'] });
        const capture = lane.written.trimEnd().split('\n').at(-1)!;
        writeFileSync(`${capture}.1`, 'out');
        writeFileSync(`${capture}.2`, 'warning: x');
        lane.emit('data', Buffer.from('store 0\n'));
        store = await exchange.next(1000);
        exchange.reply({ type: 'stored', stored: true });
      }),
    );
    lane.emit('data', shellRequest(['gcc', '-c', 'a.c']));
    await served;
    const lines = lane.written.split('\n');
    expect(lines.slice(0, 4)).toEqual(['store', expect.any(String), '1', '--remap-path-prefix=/w=.']);
    expect(lines.at(-2)).toBe('stored');
    expect(store).toMatchObject({
      type: 'store',
      exitCode: 0,
      stdout: Buffer.from('out').toString('base64'),
      stderr: Buffer.from('warning: x').toString('base64'),
    });
  });

  it('restores nothing and says nothing on a lane whose shell the watchdog told timeout', async () => {
    const lane = new FakeLane();
    const source = join(cwd, 'blob-told');
    writeFileSync(source, 'old object');
    let report: unknown = 'none';
    const served = serveShConversation(lane, {
      ...deps(async (_request, exchange) => {
        exchange.reply({
          type: 'hit',
          files: [{ path: join(cwd, 'told.o'), from: source }],
          stdout: '',
          stderr: '',
          exitCode: 0,
        });
        report = await exchange.next(1000);
      }),
      told: () => true,
    });
    lane.emit('data', shellRequest(['gcc', '-c', 'told.c']));
    await served;
    expect(existsSync(join(cwd, 'told.o'))).toBe(false);
    expect(report).toBeUndefined();
    expect(lane.written).toBe('');
  });

  it('puts no copy in place once the shell is told timeout while the copies run', async () => {
    const lane = new FakeLane();
    const source = join(cwd, 'blob-late');
    writeFileSync(source, 'old object');
    let told = false;
    const served = serveShConversation(lane, {
      ...deps(async (_request, exchange) => {
        exchange.reply({
          type: 'hit',
          files: [{ path: join(cwd, 'late.o'), from: source }],
          stdout: '',
          stderr: '',
          exitCode: 0,
        });
        // The server stopped here, and the watchdog told the shell: the copy started is not put in place.
        told = true;
        await exchange.next(1000);
      }),
      told: () => told,
    });
    lane.emit('data', shellRequest(['gcc', '-c', 'late.c']));
    await served;
    expect(readdirSync(cwd).filter((name) => name.startsWith('late.o'))).toEqual([]);
    expect(lane.written).toBe('');
  });

  it('stores nothing when the shell says store after the watchdog told it timeout', async () => {
    const lane = new FakeLane();
    let store: unknown = 'none';
    let givenUp: boolean | undefined;
    const served = serveShConversation(lane, {
      ...deps(async (_request, exchange) => {
        exchange.reply({ type: 'run', store: true });
        const capture = lane.written.trimEnd().split('\n').at(-1)!;
        writeFileSync(`${capture}.1`, '');
        writeFileSync(`${capture}.2`, '');
        // Buffered in the FIFO before the shell read `timeout` as if it were the acknowledgement.
        lane.emit('data', Buffer.from('store 0\n'));
        store = await exchange.next(1000);
        givenUp = exchange.givenUp?.();
      }),
      told: () => true,
    });
    lane.emit('data', shellRequest(['gcc', '-c', 'a.c']));
    await served;
    expect(store).toBeUndefined();
    expect(givenUp).toBe(true);
  });

  it('leaves a lane nobody has spoken on open, and closes one whose request stalls', () => {
    vi.useFakeTimers();
    try {
      const idle = new FakeLane();
      void serveShConversation(
        idle,
        deps(async () => undefined),
      );
      vi.advanceTimersByTime(60_000);
      expect(idle.destroyed).toBe(false);
      idle.emit('data', Buffer.from('hoard-sh 1 77 1 sh\n'));
      vi.advanceTimersByTime(60_000);
      expect(idle.destroyed).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('declines what it cannot read, and a handler that throws leaves the shell an answer and the server running', async () => {
    const garbage = new FakeLane();
    const declinedDeps = deps(async () => undefined);
    const first = serveShConversation(garbage, declinedDeps);
    garbage.emit('data', Buffer.from('\0\0\0\x05hello'));
    expect(garbage.written).toBe('node\n');
    garbage.destroy();
    await first;
    expect(declinedDeps.counts.declined).toEqual({ request: 1 });

    const failing = new FakeLane();
    const second = serveShConversation(
      failing,
      deps(async () => {
        throw new Error('boom');
      }),
    );
    failing.emit('data', shellRequest(['gcc']));
    await second;
    expect(failing.written).toBe('node\n');
    expect(logged.some((line) => line.includes('boom'))).toBe(true);
  });
});
