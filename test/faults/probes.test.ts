import {
  closeSync,
  constants,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FRAME_BYTES } from '../../src/protocol/framing.js';
import { isLaneName, TAKEN_DIR } from '../../src/protocol/lanes.js';
import { PROTOCOL_VERSION } from '../../src/protocol/messages.js';
import { createSandbox, expectSuccess, HOARD, type CommandResult, type Sandbox } from '../e2e/harness.js';
import { digestsOf, IS_ROOT } from './helpers.js';
import { askStatus, rawClient, startServer, type TestServer } from './server-process.js';

/**
 * The probes of issue 18 that held, kept held: the server killed at random points of builds, thousands
 * of malformed messages, a full disk, four builds at once. C builds (test/fixtures/c-project): real
 * compiles through the wrapper, quick enough to repeat.
 */

const OUTPUTS = /\.(o|d)$/;

function make(
  sandbox: Sandbox,
  project: string,
  args: string[],
  options: { cc?: string; env?: Record<string, string> } = {},
): Promise<CommandResult> {
  const cc = options.cc ?? `${HOARD} gcc`;
  return execa('make', ['-s', `CC=${cc}`, ...args], {
    cwd: project,
    env: { ...sandbox.env, ...options.env },
    extendEnv: false,
    reject: false,
  }).then((result) => ({
    exitCode: result.exitCode ?? 1,
    stdout: result.stdout,
    stderr: result.stderr,
  }));
}

/** Builds the project uncached and gives its outputs' digests, leaving it clean. */
async function uncachedBaseline(sandbox: Sandbox, project: string): Promise<Map<string, string>> {
  expectSuccess(await make(sandbox, project, [], { cc: 'gcc' }), 'uncached make');
  const digests = digestsOf(project, OUTPUTS);
  expectSuccess(await make(sandbox, project, ['clean'], { cc: 'gcc' }), 'make clean');
  return digests;
}

async function serverPid(sandbox: Sandbox): Promise<number> {
  const started = await sandbox.hoard(['server', 'start']);
  expectSuccess(started, 'hoard server start');
  return Number(/pid (\d+)/.exec(started.stdout)![1]);
}

describe('the server killed at random points of a build', () => {
  let sandbox: Sandbox;
  let project: string;
  let baseline: Map<string, string>;
  beforeAll(async () => {
    sandbox = createSandbox();
    project = sandbox.project('c-project');
    baseline = await uncachedBaseline(sandbox, project);
  });
  afterAll(async () => {
    await sandbox?.dispose();
  });

  it("at least 10 times mid-build: every build succeeds, every output is the uncached build's", async () => {
    const kills: string[] = [];
    let lastBuildMs = 1000;
    for (let round = 0; kills.length < 10; round += 1) {
      if (round >= 40) throw new Error(`only ${kills.length} of 40 kills landed during a build: ${kills.join(', ')}`);
      // Every third round starts from an empty cache, so kills land among misses and stores as well as hits.
      if (round % 3 === 0) rmSync(join(sandbox.root, 'cache', 'hoard', 'entries'), { recursive: true, force: true });
      const pid = await serverPid(sandbox);
      // Within the first half of the last build's time: with the fast path ready from the start, a warm
      // build of this project takes tens of milliseconds, and later kills mostly miss it.
      const delay = Math.floor(Math.random() * lastBuildMs * 0.5);
      const started = Date.now();
      const build = execa('make', ['-s', `CC=${HOARD} gcc`, '-j4'], {
        cwd: project,
        env: sandbox.env,
        extendEnv: false,
        reject: false,
      });
      await new Promise((resolve) => setTimeout(resolve, delay));
      const midBuild = build.exitCode === null;
      process.kill(pid, 'SIGKILL');
      const result = await build;
      lastBuildMs = Date.now() - started;
      if (midBuild) kills.push(`${delay} ms`);
      expect(result.exitCode, `round ${round}, killed after ${delay} ms: ${result.stderr}`).toBe(0);
      expect(digestsOf(project, OUTPUTS), `round ${round}, killed after ${delay} ms`).toEqual(baseline);
      expectSuccess(await make(sandbox, project, ['clean']), 'make clean');
    }
  });
});

/** One malformed message, by kind: bytes a client might send by mistake or on purpose. */
function malformed(index: number): Buffer {
  const header = (length: number): Buffer => {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32BE(length);
    return bytes;
  };
  const frame = (text: string): Buffer => Buffer.concat([header(Buffer.byteLength(text)), Buffer.from(text)]);
  const v = PROTOCOL_VERSION;
  switch (index % 12) {
    case 0:
      return Buffer.from(Array.from({ length: (index * 7919) % 257 }, (_, at) => (at * 31 + index) & 0xff));
    case 1:
      return frame('{"v": 3, "type": "compile", "cwd": "/", ');
    case 2:
      return frame(['[1,2]', '"x"', 'null', '42', 'true'][index % 5]!);
    case 3:
      return frame(JSON.stringify({ hello: 'there', index }));
    case 4:
      return frame(JSON.stringify({ v: String(v), type: 'status' }));
    case 5:
      return frame(JSON.stringify({ v, type: 'compile', cwd: 5, argv: 'rustc', env: [] }));
    case 6:
      return frame(JSON.stringify({ v, type: 'compile', cwd: 'relative', argv: [], env: {} }));
    case 7:
      return frame(JSON.stringify({ v, type: `frobnicate-${index}` }));
    case 8:
      return Buffer.concat([header(100), Buffer.from('{"v":3,"ty')]);
    case 9:
      return header(MAX_FRAME_BYTES + 1 + index);
    case 10:
      return frame(JSON.stringify({ v, type: 'restored', identities: ['x'] }));
    default:
      return frame(`${'['.repeat(1000)}${']'.repeat(1000)}`);
  }
}

describe('10,000 malformed socket and lane messages', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function overSocket(index: number): Promise<void> {
    const client = await rawClient(server.socketPath);
    client.socket.end(malformed(index));
    await client.closed;
  }

  /** Takes a lane as a wrapper does, writes the message into it and hangs up. */
  async function overLane(index: number): Promise<void> {
    for (let attempt = 0; attempt < 400; attempt += 1) {
      const names = readdirSync(server.lanesDir).filter(isLaneName);
      for (const name of names) {
        const taken = join(server.lanesDir, TAKEN_DIR, name);
        try {
          renameSync(join(server.lanesDir, name), taken);
        } catch {
          continue;
        }
        const fd = openSync(taken, constants.O_WRONLY | constants.O_NONBLOCK);
        try {
          writeSync(fd, malformed(index));
        } catch {
          // A full FIFO (the oversized header's body is not sent): the server refuses what it has.
        } finally {
          closeSync(fd);
        }
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error('no lane became ready within 10 s');
  }

  it('keeps answering, with memory bounded', async () => {
    const total = 10_000;
    const overLanes = 1_500;
    let baselineRss = 0;
    for (let start = 0; start < total; start += 500) {
      const batch = Array.from({ length: 500 }, (_, offset) => start + offset);
      const lane = batch.filter((index) => index % Math.floor(total / overLanes) === 0);
      const socket = batch.filter((index) => index % Math.floor(total / overLanes) !== 0);
      for (let at = 0; at < socket.length; at += 25) await Promise.all(socket.slice(at, at + 25).map(overSocket));
      for (const index of lane) await overLane(index);
      expect((await askStatus(server.socketPath))?.type, `after ${start + 500} messages`).toBe('data');
      if (start === 1000) baselineRss = server.rss();
    }
    // Nothing of 9,000 refused messages stays behind (each connection is cut; a truncated frame waits only for its connection).
    expect(server.rss() - baselineRss).toBeLessThan(64 * 1024 * 1024);
    const lanes = readdirSync(server.lanesDir).filter(isLaneName);
    expect(lanes.length).toBeGreaterThan(0);
  });
});

const diskFullUnavailable = IS_ROOT ? undefined : 'needs root to mount a small tmpfs (CI runs as root)';

describe.skipIf(diskFullUnavailable)(
  `a full disk under the cache${diskFullUnavailable ? ` (skipped: ${diskFullUnavailable})` : ''}`,
  () => {
    let sandbox: Sandbox;
    let mountPoint: string;
    let mounted = false;
    beforeAll(() => {
      sandbox = createSandbox();
      mountPoint = mkdtempSync(join(tmpdir(), 'hoard-fault-full-'));
      const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', mountPoint], {
        encoding: 'utf8',
      });
      if (mount.status !== 0) throw new Error(`mount -t tmpfs failed: ${mount.stderr}`);
      mounted = true;
    });
    afterAll(async () => {
      await sandbox?.dispose();
      if (mounted) spawnSync('umount', ['-l', mountPoint]);
      rmSync(mountPoint, { recursive: true, force: true });
    });

    it('builds succeed with outputs identical to an uncached build, and the cache works again once there is room', async () => {
      const project = sandbox.project('c-project');
      const baseline = await uncachedBaseline(sandbox, project);
      const env = { HOARD_DIR: join(mountPoint, 'hoard') };
      mkdirSync(env.HOARD_DIR, { mode: 0o700 });
      expectSuccess(await sandbox.hoard(['server', 'start'], env), 'hoard server start');
      // Fill what is left, as a runaway log would.
      const filler = join(mountPoint, 'filler');
      const fd = openSync(filler, 'w');
      try {
        const block = Buffer.alloc(64 * 1024, 1);
        for (;;) writeSync(fd, block);
      } catch (error) {
        expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
      } finally {
        closeSync(fd);
      }
      for (const round of ['cold', 'again']) {
        const result = await make(sandbox, project, ['-j4'], { env });
        expect(result.exitCode, `${round}: ${result.stderr}`).toBe(0);
        expect(digestsOf(project, OUTPUTS), round).toEqual(baseline);
        expectSuccess(await make(sandbox, project, ['clean'], { env }), 'make clean');
      }
      rmSync(filler);
      expectSuccess(await make(sandbox, project, [], { env }), 'make with room again');
      expectSuccess(await make(sandbox, project, ['clean'], { env }), 'make clean');
      expectSuccess(await make(sandbox, project, [], { env }), 'warm make');
      expect(digestsOf(project, OUTPUTS)).toEqual(baseline);
      const stats = JSON.parse((await sandbox.hoard(['stats', '--json'], env)).stdout);
      expect(stats.counters.byKind.c.hits).toBeGreaterThanOrEqual(3);
      expectSuccess(await sandbox.hoard(['server', 'stop'], env), 'hoard server stop');
    });
  },
);

describe('four builds at once', () => {
  let sandbox: Sandbox;
  beforeAll(() => {
    sandbox = createSandbox();
  });
  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('all succeed, cold and warm, each byte for byte its uncached build', async () => {
    const projects = [0, 1, 2, 3].map((index) => sandbox.project('c-project', `c-project-${index}`));
    const baselines = [];
    for (const project of projects) baselines.push(await uncachedBaseline(sandbox, project));
    for (const round of ['cold', 'warm']) {
      const results = await Promise.all(projects.map((project) => make(sandbox, project, ['-j2'])));
      for (const [index, result] of results.entries()) {
        expect(result.exitCode, `${round} build ${index}: ${result.stderr}`).toBe(0);
        expect(digestsOf(projects[index]!, OUTPUTS), `${round} build ${index}`).toEqual(baselines[index]);
      }
      for (const project of projects) expectSuccess(await make(sandbox, project, ['clean']), 'make clean');
    }
    const counters = (await sandbox.stats()).counters;
    // Every compile counted once: the four cold builds each started a server, and one of them served all.
    expect(counters.byKind.c?.hits, JSON.stringify(counters)).toBe(12);
    expect(counters.byKind.c?.misses, JSON.stringify(counters)).toBe(12);
  });
});
