import { BUGS_URL } from './bugs-url.js';
import { errorLine, HoardError } from './hoard-error.js';

export interface FailureReport {
  /** How the line starts: 'hoard', 'hoard server'. */
  program: string;
  /** The server's log, which a bug report should come with. */
  serverLog: string;
  /** Where the stack was written, when it was (the error log, the server log). */
  stackLog?: string | undefined;
  /** HOARD_DEBUG=1: the stack and its causes are printed too. */
  debug: boolean;
}

/** Refusals of the file system that the user can put right: a permission, a full disk, a file in the way. */
const FILE_SYSTEM_REFUSALS = new Set([
  'EACCES',
  'EPERM',
  'EROFS',
  'ENOSPC',
  'EDQUOT',
  'ENOTDIR',
  'EISDIR',
  'ELOOP',
  'ENAMETOOLONG',
]);

/**
 * The error as one the user can act on, or undefined for a bug. Besides a HoardError, that is a file
 * system's refusal of a path (Node's errors carry `code` and `path`): hoard's directories are the user's.
 */
export function userError(error: unknown): HoardError | undefined {
  if (error instanceof HoardError) return error;
  const { code, path, syscall } = (error ?? {}) as NodeJS.ErrnoException;
  // mkdir's ENOENT once its parents are made: a place that holds no directories (under /proc, say).
  const refused = code !== undefined && (FILE_SYSTEM_REFUSALS.has(code) || (code === 'ENOENT' && syscall === 'mkdir'));
  if (!(error instanceof Error) || path === undefined || !refused) return undefined;
  return new HoardError(error.message, {
    hint: 'hoard writes under cache_dir and the state directory (HOARD_DIR, default ~/.cache/hoard): make that path a directory you can write, with space left, or set them elsewhere.',
    cause: error,
    code: 'file-system',
  });
}

/** HOARD_DEBUG=1 (or true, yes, on) prints the stack of an error that ended a command or the server. */
export function debugRequested(env: Record<string, string | undefined>): boolean {
  return /^(1|true|yes|on)$/i.test(env.HOARD_DEBUG ?? '');
}

/** The stack of an error and of each cause under it, for a log or HOARD_DEBUG=1. */
export function stackOf(error: unknown): string {
  const parts: string[] = [];
  for (let current = error, depth = 0; current !== undefined && depth < 8; depth += 1) {
    const text = current instanceof Error ? (current.stack ?? `${current.name}: ${current.message}`) : String(current);
    parts.push(depth === 0 ? text : `caused by: ${text}`);
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join('\n');
}

/**
 * What stderr gets for an error that ended a command or the server. A HoardError (or a refusal of the
 * file system, userError) is one line with what to do. Anything else is a bug in hoard: one line that says so, where to report it and what to attach;
 * its stack only with HOARD_DEBUG=1 (it is in the log regardless, where one was written).
 */
export function failureText(error: unknown, report: FailureReport): string {
  const details = report.debug ? `${stackOf(error)}\n` : '';
  const known = userError(error);
  if (known) return `${report.program}: ${errorLine(known)}\n${details}`;
  const message =
    error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error).split('\n')[0];
  const stack = report.stackLog
    ? ` (the stack is in ${report.stackLog})`
    : report.debug
      ? ''
      : ' (HOARD_DEBUG=1 shows the stack)';
  return (
    `${report.program}: internal error: ${message}. This is a bug in hoard: please report it at ${BUGS_URL} ` +
    `with the output of \`hoard doctor\` and the server log ${report.serverLog}${stack}.\n${details}`
  );
}
