import { BUGS_URL } from '../errors/bugs-url.js';
import { resolveLocations } from '../protocol/locations.js';
import { restoredEnvironment } from '../client/environment.js';
import { logError } from './error-log.js';
import { callFingerprint, nestedEnvironment } from './recursion.js';
import { runDirect } from './run-compiler.js';
import { writeOutput } from './sync-io.js';

/**
 * A bug in the wrapper (an exception nothing expected) must not fail the build: one line says so and
 * where to report it, the stack goes to the error log (and to stderr with HOARD_DEBUG=1), and the
 * compiler runs directly.
 */
export function compileAfterBug(argv: string[], error: unknown): Promise<number> {
  const [compiler, ...args] = argv as [string, ...string[]];
  const stack = error instanceof Error ? (error.stack ?? String(error)) : String(error);
  let errorLog: string | undefined;
  let env: NodeJS.ProcessEnv = process.env;
  try {
    errorLog = resolveLocations(process.env).errorLogPath;
    logError(errorLog, 'wrapper', `internal error: ${stack}; compiling ${compiler} directly`);
    // Marked as the wrapper marks it: a compiler that leads back to hoard stops at the recursion check.
    env = nestedEnvironment(restoredEnvironment(process.env), callFingerprint(process.cwd(), compiler, args));
  } catch {
    // Whatever of it could be done: the compile goes on regardless.
  }
  const debug = /^(1|true|yes|on)$/i.test(process.env.HOARD_DEBUG ?? '');
  writeOutput(
    2,
    `hoard: internal error (${String(error).split('\n')[0]}); compiling directly. This is a bug in hoard: please report it at ` +
      `${BUGS_URL} with the output of \`hoard doctor\`${errorLog ? ` and the stack from ${errorLog}` : ''}.\n${debug ? `${stack}\n` : ''}`,
  );
  return runDirect(compiler, args, env);
}
