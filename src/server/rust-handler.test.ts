import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LINKED_CRATE_KINDS, type LinkedCrateKind } from '../config/linked-crate-kinds.js';
import { DigestMemo } from '../hash/digest-memo.js';
import { PROTOCOL_VERSION, type CompileRequest, type ServerMessage } from '../protocol/messages.js';
import { StatsStore } from '../stats/stats-store.js';
import { OUTSIDE_ANY_REPOSITORY } from '../worktree/locate.js';
import type { CacheableCompile } from './compile-flow.js';
import { answerCompile, type SharedCompileDependencies } from './compiler-handler.js';
import type { Exchange } from './exchange.js';
import { Logger } from './logger.js';
import { RustHandler } from './rust-handler.js';

/** A binary crate as cargo compiles it: a linked crate, so its key asks the linker too. */
function binary(cwd: string): string[] {
  return [
    'rustc',
    '--crate-name',
    'app',
    '--edition=2021',
    'src/main.rs',
    '--crate-type',
    'bin',
    '--emit=dep-info,link',
    '-C',
    'metadata=1234',
    '--out-dir',
    join(cwd, 'target/debug/deps'),
  ];
}

describe('RustHandler behind the shared path', () => {
  let root: string;
  let stats: StatsStore;
  let answered: CacheableCompile[];
  let linkerFails: boolean;
  let linkedCrates: LinkedCrateKind[];
  let deps: SharedCompileDependencies;
  let rust: RustHandler;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'hoard-rust-handler-'));
    stats = new StatsStore(join(root, 'stats.json'));
    answered = [];
    linkerFails = false;
    linkedCrates = [...LINKED_CRATE_KINDS];
    const log = new Logger('info', { file: join(root, 'server.log'), errorLog: join(root, 'error.log') });
    deps = {
      flow: {
        answer: async (compile, exchange) => {
          answered.push(compile);
          exchange.reply({ type: 'run', store: true });
        },
      },
      stats,
      worktrees: { attribute: async () => ({ ...OUTSIDE_ANY_REPOSITORY, id: 'w', root }) },
      basedirs: () => ['auto'],
      log,
    };
    rust = new RustHandler({
      memo: new DigestMemo(),
      log,
      linkedCrates: () => linkedCrates,
      toolchains: {
        identify: async () => ({ digest: 'toolchain', version: 'rustc 1.95.0', sysroot: '/rust' }),
        knownVersionOutput: async () => 'rustc 1.95.0 (stable)\n',
      },
      linkers: {
        inputs: async () => {
          if (linkerFails) throw new Error('cc not found on PATH');
          return [['11 linker', 'digest of cc']];
        },
      },
    });
  });

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  async function ask(argv: string[]): Promise<ServerMessage[]> {
    const replies: ServerMessage[] = [];
    const exchange: Exchange = { reply: (message) => replies.push(message), next: async () => undefined };
    const request: CompileRequest = {
      v: PROTOCOL_VERSION,
      type: 'compile',
      cwd: root,
      argv,
      env: { CARGO_PKG_NAME: 'app' },
    };
    await answerCompile(deps, rust, request, exchange);
    return replies;
  }

  it('answers rustc -vV from the identified toolchain, without running rustc', async () => {
    expect(await ask(['rustc', '-vV'])).toEqual([
      {
        type: 'hit',
        files: [],
        stdout: Buffer.from('rustc 1.95.0 (stable)\n').toString('base64'),
        stderr: '',
        exitCode: 0,
      },
    ]);
    expect(stats.counters).toMatchObject({ requests: 1, notCompilation: 1 });
  });

  it('keys a linked crate with its linker, remaps paths under the base directory, and hands it to the flow', async () => {
    expect(await ask(binary(root))).toEqual([{ type: 'run', store: true }]);
    expect(answered).toEqual([
      expect.objectContaining({
        kind: 'rust binary',
        label: 'app',
        extraArgs: [`--remap-path-prefix=${root}=.`],
        places: { outDir: join(root, 'target/debug/deps'), baseDir: root },
      }),
    ]);
    expect(answered[0]!.direct).toMatch(/^[0-9a-f]{64}$/);
  });

  it('runs a linked crate uncached when its linker cannot be found', async () => {
    linkerFails = true;
    expect(await ask(binary(root))).toEqual([{ type: 'run', store: false, reason: 'linker-not-found' }]);
    expect(stats.counters.notCacheable).toMatchObject({ 'linker-not-found': 1 });
    expect(readFileSync(join(root, 'server.log'), 'utf8')).toContain('linking app in');
  });

  it('runs a kind of linked crate switched off in the config uncached, read per request', async () => {
    linkedCrates = ['proc-macro'];
    expect(await ask(binary(root))).toEqual([{ type: 'run', store: false, reason: 'linked-crate-off' }]);
    linkedCrates = [...LINKED_CRATE_KINDS];
    expect(await ask(binary(root))).toEqual([{ type: 'run', store: true }]);
  });
});
