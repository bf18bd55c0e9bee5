import { existsSync } from 'node:fs';
import { FLAG_ALIASES } from '../cli/command-names.js';
import { CliError } from '../cli/client.js';
import { configCommand } from '../cli/config-command.js';
import { doctorCommand } from '../cli/doctor-command.js';
import { commandHelp, HELP } from '../cli/help.js';
import { initCommand } from '../cli/init-command.js';
import { serverCommand } from '../cli/server-command.js';
import { statsCommand } from '../cli/stats-command.js';
import { whyCommand } from '../cli/why-command.js';
import { restoredEnvironment } from '../client/environment.js';
import { debugRequested, failureText, stackOf, userError } from '../errors/report.js';
import { resolveLocations } from '../protocol/locations.js';
import { logError } from '../wrapper/error-log.js';
import { HOARD_VERSION } from '../version.js';

/** Entry of the command-line tool; bin/hoard loads it for everything that is not a compiler call. */
export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  const [command, ...args] = first !== undefined && FLAG_ALIASES[first] ? [...FLAG_ALIASES[first]!, ...rest] : argv;
  try {
    const help = args.includes('--help') || args.includes('-h') ? commandHelp(command ?? '') : undefined;
    if (help !== undefined) {
      process.stdout.write(help);
      return 0;
    }
    switch (command) {
      case undefined:
      case 'help':
        process.stdout.write(HELP);
        return 0;
      case 'version':
        process.stdout.write(`hoard ${HOARD_VERSION}\n`);
        return 0;
      case 'stats':
        return await statsCommand(args);
      case 'server':
        // The server's code is loaded only to run it here, in the foreground, with the parts the daemon has.
        return await serverCommand(args, async (options) => {
          const [{ runServer }, { serverParts }] = await Promise.all([
            import('../server/server.js'),
            import('./server-parts.js'),
          ]);
          return runServer({ ...options, ...serverParts(import.meta.url) });
        });
      case 'config':
        return await configCommand(args);
      case 'doctor':
        return await doctorCommand(args);
      case 'init':
        return await initCommand(args);
      case 'why':
        return await whyCommand(args);
      default:
        throw new CliError(`unknown command '${command}'`, { hint: "'hoard --help' lists the commands." });
    }
  } catch (error) {
    return reportFailure(error, process.env, (text) => process.stderr.write(text));
  }
}

/**
 * A HoardError (or a file system's refusal, userError) is the user's to act on: one line with what to
 * do, status 1. Anything else is a bug in hoard: one line saying where to report it, the stack in the
 * error log (and on stderr with HOARD_DEBUG=1), status 70 (EX_SOFTWARE).
 */
export function reportFailure(error: unknown, processEnv: NodeJS.ProcessEnv, write: (text: string) => void): number {
  const env = restoredEnvironment(processEnv);
  const locations = resolveLocations(env);
  const bug = userError(error) === undefined;
  if (bug) logError(locations.errorLogPath, 'cli', `internal error: ${stackOf(error)}`);
  const stackLog = bug && existsSync(locations.errorLogPath) ? locations.errorLogPath : undefined;
  write(
    failureText(error, { program: 'hoard', serverLog: locations.serverLogPath, stackLog, debug: debugRequested(env) }),
  );
  return bug ? 70 : 1;
}
