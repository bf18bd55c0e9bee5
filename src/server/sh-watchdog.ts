import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The server's side of the sh lanes' watchdog (sh-watchdog-process.ts): a process of its own, in a
 * session of its own (a terminal's Ctrl-Z, which stops a foreground server, does not stop it), that
 * the server beats on every second from its event loop.
 */

const BEAT_MS = 1000;

export interface ShWatchdog {
  close(): void;
}

export function startShWatchdog(
  script: URL,
  lanesDir: string,
  stallMs: number,
  log: { warn(message: string): void },
): ShWatchdog {
  const child = spawn(process.execPath, [fileURLToPath(script), lanesDir, String(process.pid), String(stallMs)], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  child.on('error', (error) =>
    log.warn(`the sh lanes' watchdog did not start (${error.message}): a shell whose server goes silent waits for it`),
  );
  child.stdin!.on('error', () => undefined);
  const beat = setInterval(() => child.stdin!.write('.'), BEAT_MS);
  // Neither the beats nor the pipe keep the server alive.
  beat.unref();
  child.unref();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  return {
    close() {
      clearInterval(beat);
      child.stdin!.end();
    },
  };
}
