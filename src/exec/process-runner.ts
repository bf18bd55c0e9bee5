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
}

/** The one way the server starts processes; tests hand in a fake. */
export interface ProcessRunner {
  run(command: string, args: string[], options: RunOptions): Promise<ProcessResult>;
}

export const execaRunner: ProcessRunner = {
  async run(command, args, options) {
    const result = await execa(command, args, {
      cwd: options.cwd,
      env: options.env,
      extendEnv: false,
      reject: false,
      timeout: options.timeoutMs ?? 60_000,
      stdin: 'ignore',
    });
    if (result.failed && result.exitCode === undefined) {
      throw new Error(`${command} could not be run: ${result.shortMessage}`);
    }
    return { exitCode: result.exitCode ?? 1, stdout: result.stdout, stderr: result.stderr };
  },
};
