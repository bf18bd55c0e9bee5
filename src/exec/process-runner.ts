import { setPriority } from 'node:os';
import { execa } from 'execa';

export interface ProcessResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  env: Record<string, string>;
  timeoutMs?: number;
  /** Run at a lower priority (niceness 10), for work nobody waits for, so a build's compilers get the CPU first. */
  lowPriority?: boolean;
}

/** The one way the server starts processes; tests hand in a fake. */
export interface ProcessRunner {
  run(command: string, args: string[], options: RunOptions): Promise<ProcessResult>;
}

export const execaRunner: ProcessRunner = {
  async run(command, args, options) {
    const child = execa(command, args, {
      cwd: options.cwd,
      env: options.env,
      extendEnv: false,
      reject: false,
      timeout: options.timeoutMs ?? 60_000,
      stdin: 'ignore',
    });
    if (options.lowPriority && child.pid !== undefined) {
      try {
        setPriority(child.pid, 10);
      } catch {
        // Gone already, or not allowed: it runs at the usual priority.
      }
    }
    const result = await child;
    if (result.failed && result.exitCode === undefined) {
      throw new Error(`${command} could not be run: ${result.shortMessage}`);
    }
    return { exitCode: result.exitCode ?? 1, stdout: result.stdout, stderr: result.stderr };
  },
};
