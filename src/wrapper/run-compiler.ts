import { stdioWithJobserver } from './jobserver.js';
import { writeOutput } from './sync-io.js';
import { monotonicMs } from './clock.js';
import { cannotRun, exitStatus } from './exit-status.js';

/**
 * node:child_process (and node:dgram, which it loads) costs milliseconds at start-up, and a hit,
 * the common case, runs nothing: it is loaded when a compiler is about to run. Not with import():
 * that starts the ESM loader too, on every compile that runs (docs/decisions.md).
 */
export function loadChildProcess(): typeof import('node:child_process') {
  return process.getBuiltinModule('node:child_process');
}

export interface CapturedRun {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
  durationMs: number;
}

/** Runs the compiler with the wrapper's own stdio: what the caller sees is what the compiler wrote. */
export async function runDirect(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { spawn } = loadChildProcess();
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: stdioWithJobserver(['inherit', 'inherit', 'inherit'], env), env });
    child.on('error', (error) => {
      writeOutput(2, cannotRun(command, error));
      resolve(127);
    });
    child.on('close', (code, signal) => resolve(exitStatus(code, signal)));
  });
}

/**
 * Runs the compiler, relaying its output as it comes (cargo shows diagnostics while a crate compiles)
 * and keeping a copy for the cache.
 */
export async function runCaptured(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<CapturedRun> {
  const { spawn } = loadChildProcess();
  const started = monotonicMs();
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: stdioWithJobserver(['inherit', 'pipe', 'pipe'], env), env });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout.push(chunk);
      writeOutput(1, chunk);
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr.push(chunk);
      writeOutput(2, chunk);
    });
    child.on('error', (error) => {
      const message = Buffer.from(cannotRun(command, error));
      writeOutput(2, message);
      resolve({ exitCode: 127, stdout: Buffer.alloc(0), stderr: message, durationMs: monotonicMs() - started });
    });
    child.on('close', (code, signal) => {
      resolve({
        exitCode: exitStatus(code, signal),
        stdout: Buffer.concat(stdout),
        stderr: Buffer.concat(stderr),
        durationMs: monotonicMs() - started,
      });
    });
  });
}
