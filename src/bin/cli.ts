import { FLAG_ALIASES } from '../cli/command-names.js';
import { CliError } from '../cli/client.js';
import { configCommand } from '../cli/config-command.js';
import { doctorCommand } from '../cli/doctor-command.js';
import { HELP } from '../cli/help.js';
import { initCommand } from '../cli/init-command.js';
import { serverCommand } from '../cli/server-command.js';
import { statsCommand } from '../cli/stats-command.js';
import { whyCommand } from '../cli/why-command.js';
import { ConfigError } from '../config/load.js';
import { UntrustedRendezvous } from '../protocol/rendezvous.js';
import { HOARD_VERSION } from '../version.js';

/** Entry of the command-line tool; bin/hoard loads it for everything that is not a compiler call. */
export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  const [command, ...args] = first !== undefined && FLAG_ALIASES[first] ? [...FLAG_ALIASES[first]!, ...rest] : argv;
  try {
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
        // The server's code is loaded only to run it here, in the foreground.
        return await serverCommand(args, async (options) => (await import('../server/server.js')).runServer(options));
      case 'config':
        return await configCommand(args);
      case 'doctor':
        return await doctorCommand(args);
      case 'init':
        return await initCommand(args);
      case 'why':
        return await whyCommand(args);
      default:
        throw new CliError(`unknown command '${command}'; 'hoard --help' lists the commands.`);
    }
  } catch (error) {
    if (error instanceof CliError || error instanceof ConfigError || error instanceof UntrustedRendezvous) {
      process.stderr.write(`hoard: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
