import { randomUUID } from 'node:crypto';
import { readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ENV_VARIABLES, OTHER_VARIABLES } from '../config/env-table.js';
import {
  PROTOCOL_VERSION,
  type ClientMessage,
  type CompileRequest,
  type RestoreFile,
  type ServerMessage,
} from '../protocol/messages.js';
import type { Conversation } from './conversation.js';
import type { Exchange } from './exchange.js';
import type { Logger } from './logger.js';
import { MAX_SH_REQUEST_BYTES, parseShRequest, printfFormat, type ShRequest } from './sh-request.js';

/**
 * The server's side of bin/hoard's fast path (docs/architecture.md, "The launcher's fast path"): a
 * request read from an sh lane becomes the same CompileRequest the Node wrapper sends, answered by the
 * same handlers through an Exchange that speaks the shell's lines. The server writes a hit's files (a
 * shell has no copy built in); a miss is compiled by the shell, in the caller's process tree, which
 * then says `store <status>` and the server reads the output it captured. Whatever the server cannot be
 * sure of is declined with `node`: the shell then runs the Node wrapper, which asks again.
 */

/**
 * What the fast path does as the Node wrapper does, with the wrapper's own code (src/wrapper/recursion.ts,
 * restore-files.ts), handed in by the entry point (src/bin/server.ts): the server may not import the wrapper.
 */
export interface WrapperParts {
  callFingerprint(cwd: string, compiler: string, args: readonly string[]): string;
  recursionMessage(compiler: string, call: string, env: NodeJS.ProcessEnv): string | undefined;
  /** The compiler's environment, marked with the call in HOARD_NESTING. */
  nestedEnvironment(env: NodeJS.ProcessEnv, call: string): Record<string, string>;
  /** Writes a hit's files, off the event loop; gives their identities, or throws (also once `wanted` is false). */
  restoreFiles(files: readonly RestoreFile[], wanted?: () => boolean): Promise<string[]>;
}

/** HOARD_* variables the Node wrapper reads, or the server only when it starts; any other declines. */
const KNOWN_SETTINGS = new Set([
  'HOARD_DIR',
  'HOARD_FAST_PATH',
  'HOARD_INVOKED_AS',
  'HOARD_NESTING',
  'HOARD_NODE',
  'HOARD_NODE_FLAGS',
  ...ENV_VARIABLES.map(({ variable }) => variable),
  ...OTHER_VARIABLES.map(({ variable }) => variable),
]);
/** Output up to this size is sent as a printf format; the shell reads it a byte at a time. */
const INLINE_OUTPUT_BYTES = 2048;
/** The shell sends its request at once; one that stalls this long is gone. */
const REQUEST_TIMEOUT_MS = 10_000;

/** What the server knows of the shell's process (Linux /proc), to check the request against. */
export interface ShellProcess {
  /** Its working directory, resolved. */
  cwd: string;
  /** The names in its environment block, where shells keep variables they do not list. */
  environmentNames: string[];
  umask: number;
}

export function inspectProcess(pid: number): ShellProcess {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const umask = /^Umask:\s*([0-7]+)$/m.exec(status);
  if (!umask) throw new Error('no umask in /proc');
  return {
    cwd: readlinkSync(`/proc/${pid}/cwd`),
    environmentNames: readFileSync(`/proc/${pid}/environ`, 'latin1')
      .split('\0')
      .filter(Boolean)
      .map((entry) => entry.slice(0, entry.indexOf('=') >>> 0)),
    umask: parseInt(umask[1]!, 8),
  };
}

/** Requests through the fast path, for `hoard server status`. */
export interface FastPathCounts {
  served: number;
  /** Handed to the Node wrapper, by reason. */
  declined: Record<string, number>;
}

export interface ShLaneDependencies {
  answerCompile(request: CompileRequest, exchange: Exchange): Promise<void>;
  /** The cache's staging directory: captured output goes there, beside the entries it joins. */
  tmpDir: string;
  log: Pick<Logger, 'debug' | 'warn' | 'error'>;
  counts: FastPathCounts;
  inspect?: (pid: number) => ShellProcess;
  wrapper: WrapperParts;
  /**
   * Whether the watchdog told this lane's shell `timeout` (sh-watchdog-process.ts): the shell went on
   * without the server, which then neither stores nor restores for it. Asked right before either.
   */
  told?: () => boolean;
}

/** The checks the Node wrapper makes before it asks (recursion.ts), and those only a shell needs. */
export function compileRequestFor(
  shell: ShRequest,
  process: ShellProcess,
  wrapper: WrapperParts,
): { request: CompileRequest; nesting: string } | { declined: string } {
  let cwd: string;
  try {
    cwd = realpathSync(shell.pwd);
  } catch {
    return { declined: 'cwd' };
  }
  // $PWD as the shell has it names the directory the process is in (the same pid namespace, no stale PWD).
  if (process.cwd !== cwd || !shell.pwd.startsWith('/')) return { declined: 'cwd' };
  // Names no shell lists (not identifiers, exported functions) still reach the compiler: not seen, not keyed.
  if (process.environmentNames.some((name) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)))
    return { declined: 'environment-names' };
  if (Object.keys(shell.env).some((name) => name.startsWith('HOARD_') && !KNOWN_SETTINGS.has(name)))
    return { declined: 'setting' };
  const [compiler, ...args] = shell.argv as [string, ...string[]];
  const fingerprint = wrapper.callFingerprint(cwd, compiler, args);
  // The Node wrapper resolves a compiler path against its own working directory, the caller's.
  if (wrapper.recursionMessage(compiler.includes('/') ? resolve(cwd, compiler) : compiler, fingerprint, shell.env))
    return { declined: 'recursion' };
  // The shell runs the compiler with its own environment and this mark: no more, no less (bin/hoard's
  // NODE_EXTRA_CA_CERTS note, HOARD_NODE_EXTRA_CA_CERTS, is not made yet; one set by hand is a setting).
  const env = wrapper.nestedEnvironment(shell.env, fingerprint);
  const nesting = env.HOARD_NESTING!;
  if (nesting.includes('\n')) return { declined: 'setting' };
  return { request: { v: PROTOCOL_VERSION, type: 'compile', cwd, argv: shell.argv, env }, nesting };
}

/** One conversation on an sh lane, from the request to the last line. */
export function serveShConversation(conversation: Conversation, deps: ShLaneDependencies): Promise<void> {
  return new Promise((done) => {
    let buffered = Buffer.alloc(0);
    let request: ShRequest | undefined;
    let declined = false;
    let lineWaiter: ((line: string | undefined) => void) | undefined;
    const lines: string[] = [];
    let closed = false;
    const leftovers: string[] = [];
    // Started by the request's first bytes: a lane waits, unspoken to, for as long as it is offered.
    let timer: NodeJS.Timeout | undefined;

    const write = (text: string): void => {
      if (!conversation.destroyed) conversation.write(Buffer.from(text, 'utf8'));
    };
    const decline = (reason: string, detail?: string): void => {
      deps.counts.declined[reason] = (deps.counts.declined[reason] ?? 0) + 1;
      deps.log.debug(`fast path declined (${reason}${detail ? `: ${detail}` : ''}): the Node wrapper asks instead`);
      write('node\n');
    };
    const finish = (): void => {
      clearTimeout(timer);
      done();
    };
    conversation.on('error', () => undefined);
    conversation.on('close', () => {
      closed = true;
      lineWaiter?.(undefined);
      // The shell has exited or let go of the lane: the files it printed from are no longer needed.
      for (const path of leftovers) rmSync(path, { force: true });
      if (!request) finish();
    });
    conversation.on('data', (chunk: Buffer) => {
      if (declined) return;
      timer ??= setTimeout(() => conversation.destroy(), REQUEST_TIMEOUT_MS);
      buffered = Buffer.concat([buffered, chunk]);
      if (!request) {
        const parsed = parseShRequest(buffered);
        if (parsed.kind === 'incomplete' && buffered.length <= MAX_SH_REQUEST_BYTES) return;
        clearTimeout(timer);
        if (parsed.kind !== 'request') {
          declined = true;
          decline('request', parsed.kind === 'declined' ? parsed.reason : 'too large');
          return;
        }
        request = parsed.request;
        buffered = buffered.subarray(request.length);
        void answer(request)
          .catch((error: Error) => deps.log.error(`fast path request failed: ${error.stack ?? error.message}`))
          .finally(finish);
      }
      // The shell's lines after its request: `store <status>` or `abandon`.
      let newline: number;
      while ((newline = buffered.indexOf(0x0a)) >= 0) {
        lines.push(buffered.subarray(0, newline).toString('latin1'));
        buffered = buffered.subarray(newline + 1);
      }
      if (lines.length > 0) lineWaiter?.(lines.shift());
    });

    const nextLine = (timeoutMs: number): Promise<string | undefined> => {
      if (lines.length > 0) return Promise.resolve(lines.shift());
      if (closed) return Promise.resolve(undefined);
      return new Promise((resolveLine) => {
        const wait = setTimeout(() => settle(undefined), timeoutMs);
        const settle = (line: string | undefined): void => {
          clearTimeout(wait);
          lineWaiter = undefined;
          resolveLine(line);
        };
        lineWaiter = settle;
      });
    };

    /** stdout or stderr as one line of the reply: a printf format, or a file the shell prints. */
    const outputLine = (base64: string): string => {
      const bytes = Buffer.from(base64, 'base64');
      const path = join(deps.tmpDir, `sh-output-${randomUUID()}`);
      if (bytes.length <= INLINE_OUTPUT_BYTES || path.includes('\n')) return `=${printfFormat(bytes)}\n`;
      writeFileSync(path, bytes);
      leftovers.push(path);
      return `@${path}\n`;
    };

    async function answer(shell: ShRequest): Promise<void> {
      let checked: ReturnType<typeof compileRequestFor>;
      let shellUmask = 0o022;
      try {
        const inspected = (deps.inspect ?? inspectProcess)(shell.pid);
        shellUmask = inspected.umask;
        checked = compileRequestFor(shell, inspected, deps.wrapper);
      } catch (error) {
        checked = { declined: 'process' };
        deps.log.debug(`fast path: cannot inspect process ${shell.pid}: ${(error as Error).message}`);
      }
      if ('declined' in checked) {
        decline(checked.declined);
        return;
      }
      const { nesting } = checked;
      deps.counts.served += 1;
      const queued: ClientMessage[] = [];
      let capture: string | undefined;
      let compileStarted = 0;
      let decided = false;
      let acknowledged = false;
      let restoring: Promise<void> | undefined;
      const settleRestore = async (): Promise<void> => {
        while (restoring) {
          const pending = restoring;
          restoring = undefined;
          await pending;
        }
      };
      const runDirectly = (): void => write(`run\n${nesting}\n0\n`);
      const exchange: Exchange = {
        reply(message: ServerMessage): void {
          switch (message.type) {
            case 'wait':
              return; // the shell simply waits longer
            case 'hit': {
              decided = true;
              // The copies run in the thread pool; the flow's next() waits for them (the report they make).
              // The shell, told `timeout`, compiles itself: nothing is written into its tree, nothing said.
              const wanted = (): boolean => !deps.told?.();
              if (!wanted()) return;
              restoring = (async (): Promise<void> => {
                try {
                  // The server's umask is its own (private cache files): a file without a recorded mode gets
                  // the one the shell's umask would have given it, as it would through the Node wrapper.
                  const files = message.files.map((file) =>
                    file.mode === undefined ? { ...file, mode: 0o666 & ~shellUmask } : file,
                  );
                  const identities = await deps.wrapper.restoreFiles(files, wanted);
                  if (message.files.length > 0) queued.push({ v: PROTOCOL_VERSION, type: 'restored', identities });
                } catch (error) {
                  if (!wanted()) return;
                  if ((error as Error).name === 'CorruptCopy') {
                    // A damaged cached blob (removed from the out-dir already): the server drops the entry and
                    // answers run, so this compile replaces it, as through the Node wrapper.
                    decided = false;
                    queued.push({
                      v: PROTOCOL_VERSION,
                      type: 'restore-failed',
                      message: (error as Error).message,
                      corrupt: true,
                    });
                    return;
                  }
                  // As the Node wrapper does: say so, and compile directly, uncached.
                  queued.push({ v: PROTOCOL_VERSION, type: 'restore-failed', message: (error as Error).message });
                  runDirectly();
                  return;
                }
                write(`hit ${message.exitCode}\n${outputLine(message.stdout)}${outputLine(message.stderr)}`);
              })();
              return;
            }
            case 'run': {
              decided = true;
              const extra = message.extraArgs ?? [];
              capture = join(deps.tmpDir, `sh-capture-${randomUUID()}`);
              if (!message.store || extra.some((argument) => argument.includes('\n')) || capture.includes('\n')) {
                capture = undefined;
                runDirectly();
                return;
              }
              leftovers.push(`${capture}.1`, `${capture}.2`);
              compileStarted = Date.now();
              write(
                `store\n${nesting}\n${extra.length}\n${extra.map((argument) => `${argument}\n`).join('')}${capture}\n`,
              );
              return;
            }
            case 'stored':
              acknowledged = true;
              write('stored\n');
              return;
            default:
              // An error before the answer: the Node wrapper asks again and falls back as it does.
              if (!decided) write('node\n');
              decided = true;
          }
        },
        async next(timeoutMs: number): Promise<ClientMessage | undefined> {
          await settleRestore();
          const message = queued.shift();
          if (message) return message;
          if (!capture) return undefined;
          const line = await nextLine(timeoutMs);
          const stored = /^store (\d+)$/.exec(line ?? '');
          // A shell told `timeout` read that as its acknowledgement and went on: what is in its tree now
          // may be another compile's, so nothing is stored.
          if (!stored || deps.told?.()) return undefined;
          try {
            return {
              v: PROTOCOL_VERSION,
              type: 'store',
              exitCode: Number(stored[1]),
              stdout: readFileSync(`${capture}.1`).toString('base64'),
              stderr: readFileSync(`${capture}.2`).toString('base64'),
              durationMs: Date.now() - compileStarted,
            };
          } catch {
            return undefined;
          }
        },
        givenUp: () => deps.told?.() ?? false,
      };
      try {
        await deps.answerCompile(checked.request, exchange);
      } finally {
        // A hit without a report to wait for (nothing to copy) still has its lines to write.
        await settleRestore();
        // The shell waits for a line the handler may not have sent (it failed, or the store did): it
        // must never wait for ever. Nothing decided: the Node wrapper asks; a compile done: go on.
        if (!decided) write('node\n');
        else if (capture && !acknowledged) write('stored\n');
      }
    }
  });
}
