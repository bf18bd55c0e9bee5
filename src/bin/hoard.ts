/**
 * The `hoard` executable. As a compiler wrapper it runs once per compiler call, so this file and what
 * it imports use Node built-ins only; the command-line tool is loaded only when asked for.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isCliInvocation } from '../cli/command-names.js';
import { runWrapper } from '../wrapper/wrapper.js';
import { misuseMessage } from '../wrapper/misuse.js';

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (isCliInvocation(argv)) {
    const cli = (await import(pathToFileURL(join(__dirname, 'cli.mjs')).href)) as { main(argv: string[]): Promise<number> };
    return cli.main(argv);
  }
  const misuse = misuseMessage(argv);
  if (misuse) {
    process.stderr.write(`${misuse}\n`);
    return 2;
  }
  return runWrapper(argv, process.env, { serverScript: join(__dirname, 'server.mjs') });
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`hoard: internal error: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 70;
  },
);
