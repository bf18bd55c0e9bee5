/**
 * An error hoard expects and can explain: bad input (arguments, config, a socket directory someone else
 * controls), a remote that fails, a damaged cache file. Its message says what is wrong, its hint what
 * to do, its cause what went wrong underneath. Anything else that is thrown is a bug in hoard
 * (./report.ts says what the user sees then).
 */
export interface HoardErrorOptions {
  /** What the user can do about it, as a sentence: "run `hoard doctor`", "fix the file". */
  hint?: string | undefined;
  /** The error underneath (ES2022 `cause`), kept for logs and HOARD_DEBUG=1. */
  cause?: unknown;
  /** A stable name for the kind of error, for tests and scripts; the subclass's when not given. */
  code?: string | undefined;
}

export class HoardError extends Error {
  readonly hint: string | undefined;
  readonly code: string;

  constructor(message: string, options: HoardErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
    this.code = options.code ?? 'hoard';
  }
}

/** The error as the user reads it: one line, the message then what to do ("…; fix the file"). */
export function errorLine(error: HoardError): string {
  const message = error.message.split('\n')[0]!;
  if (!error.hint) return message;
  return `${message.replace(/[.;:\s]+$/, '')}; ${error.hint}`;
}
