/** Exit status as a shell would report it: a compiler killed by a signal gives 128 + its number. */
export function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const signalNumbers: Record<string, number> = {
    SIGHUP: 1,
    SIGINT: 2,
    SIGQUIT: 3,
    SIGKILL: 9,
    SIGSEGV: 11,
    SIGPIPE: 13,
    SIGTERM: 15,
  };
  return 128 + (signal ? (signalNumbers[signal] ?? 1) : 1);
}

/** The line the wrapper writes when the compiler cannot be started at all (its status is then 127). */
export function cannotRun(command: string, error: NodeJS.ErrnoException): string {
  if (error.code === 'ENOENT') {
    return `hoard: '${command}' is neither a hoard command nor a compiler on PATH; 'hoard --help' lists the commands.\n`;
  }
  return `hoard: cannot run ${command}: ${error.message}\n`;
}
