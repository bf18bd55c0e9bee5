import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CcCompilerIdentity } from '../compiler/cc/compiler-identity.js';
import { PROTOCOL_VERSION, type ClientMessage, type CompileRequest, type ServerMessage } from '../protocol/messages.js';
import { OUTSIDE_ANY_REPOSITORY } from '../worktree/locate.js';
import { checkedExchange, compileRequestHandler, type CompileRequestDependencies } from './compile-request.js';
import type { CompilerHandler } from './compiler-handler.js';
import type { Exchange } from './exchange.js';
import { Logger } from './logger.js';
import { StatsStore } from '../stats/stats-store.js';

/** A handler that answers every call as one that compiles nothing, saying who it is; and reads one follow-up. */
function namedHandler(name: string, followUps: (ClientMessage | undefined)[]): CompilerHandler<unknown, unknown> {
  return {
    classify: () => ({ kind: 'not-compilation' }),
    outputDir: () => undefined,
    kindOf: () => name,
    refusedLabel: () => name,
    answerQuery: async (_request, exchange) => {
      exchange.reply({ type: 'error', message: name });
      followUps.push(await exchange.next(10));
    },
    subject: () => name,
    prepare: async () => ({}),
    directKey: async () => ({ key: name }),
    describe: () => {
      throw new Error('not cacheable here');
    },
  };
}

describe('compileRequestHandler', () => {
  let root: string;
  let identified: string[];
  let followUps: (ClientMessage | undefined)[];
  let deps: CompileRequestDependencies;
  const gcc = {
    path: '/usr/bin/gcc',
    family: 'gcc',
    digest: 'd',
    systemIncludeDirs: [],
    filePrefixMap: true,
  } as CcCompilerIdentity;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'hoard-compile-request-'));
    identified = [];
    followUps = [];
    deps = {
      flow: { answer: async () => undefined },
      stats: new StatsStore(join(root, 'stats.json')),
      worktrees: { attribute: async () => OUTSIDE_ANY_REPOSITORY },
      basedirs: () => [],
      log: new Logger('error', { file: join(root, 'server.log'), errorLog: join(root, 'error.log') }),
      rust: namedHandler('rust', followUps),
      cc: { forCompiler: (identity) => namedHandler(`cc ${identity.path}`, followUps) },
      identifyCc: async (compiler) => {
        identified.push(compiler);
        return compiler.endsWith('gcc') ? gcc : undefined;
      },
    };
  });

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  async function ask(message: unknown, next: unknown[] = []): Promise<ServerMessage[]> {
    const replies: ServerMessage[] = [];
    const exchange: Exchange = {
      reply: (reply) => replies.push(reply),
      next: async () => next.shift() as ClientMessage | undefined,
    };
    await compileRequestHandler(deps)(message as CompileRequest, exchange);
    return replies;
  }

  const request = (compiler: string): CompileRequest => ({
    v: PROTOCOL_VERSION,
    type: 'compile',
    cwd: '/w',
    argv: [compiler, '-c', 'a.c'],
    env: {},
  });

  it('sends rustc and clippy-driver to the rust handler without asking them what they are', async () => {
    expect(await ask(request('/home/u/.rustup/toolchains/stable/bin/rustc'))).toEqual([
      { type: 'error', message: 'rust' },
    ]);
    expect(await ask(request('clippy-driver'))).toEqual([{ type: 'error', message: 'rust' }]);
    expect(identified).toEqual([]);
  });

  it('sends a compiler that says it is gcc or clang to the C/C++ handler, and anything else to rust', async () => {
    expect(await ask(request('/usr/bin/gcc'))).toEqual([{ type: 'error', message: 'cc /usr/bin/gcc' }]);
    expect(await ask(request('/opt/bin/mystery'))).toEqual([{ type: 'error', message: 'rust' }]);
    expect(identified).toEqual(['/usr/bin/gcc', '/opt/bin/mystery']);
  });

  it('answers an invalid request with a one-line error', async () => {
    expect(await ask({ v: PROTOCOL_VERSION, type: 'compile', cwd: 'relative', argv: ['rustc'], env: {} })).toEqual([
      { type: 'error', message: expect.stringMatching(/^invalid compile request: cwd: /) },
    ]);
  });

  it('passes on well-formed follow-ups and treats a malformed one as none', async () => {
    const store = { v: PROTOCOL_VERSION, type: 'store', exitCode: 0, stdout: '', stderr: '', durationMs: 5 };
    await ask(request('rustc'), [store]);
    await ask(request('rustc'), [{ ...store, exitCode: 'zero' }]);
    expect(followUps).toEqual([store, undefined]);
  });
});

describe('checkedExchange', () => {
  it('keeps what the exchange says of its client: whether it went on without the server', () => {
    let gaveUp = false;
    const exchange: Exchange = { reply: () => undefined, next: async () => undefined, givenUp: () => gaveUp };
    const checked = checkedExchange(exchange);
    expect(checked.givenUp?.()).toBe(false);
    gaveUp = true;
    expect(checked.givenUp?.()).toBe(true);
  });
});
