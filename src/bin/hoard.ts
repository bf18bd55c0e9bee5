/**
 * The `hoard` executable. As a compiler wrapper it runs once per compiler call, so this file and what
 * it imports use Node built-ins only; the command-line tool is loaded only when asked for.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isCliInvocation } from '../cli/command-names.js';
import { runWrapper } from '../wrapper/wrapper.js';
import { misuseMessage, withoutLeadingHoard } from '../wrapper/misuse.js';
import { masqueradeMessage } from '../wrapper/recursion.js';
import { writeOutput } from '../wrapper/sync-io.js';

/** Not process.stderr: building its stream costs this one-line answer about 5 ms (sync-io.ts). */
function refuse(message: string): number {
  writeOutput(2, `${message}\n`);
  return 2;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  // Before the commands: `rustc --version` through a link to hoard must not answer with hoard's version.
  const masquerade = masqueradeMessage(process.env);
  if (masquerade) return refuse(masquerade);
  if (isCliInvocation(argv)) {
    const cli = (await import(pathToFileURL(join(__dirname, 'cli.mjs')).href)) as { main(argv: string[]): Promise<number> };
    return cli.main(argv);
  }
  const compilerArgv = withoutLeadingHoard(argv);
  const misuse = misuseMessage(compilerArgv, compilerArgv.length < argv.length);
  if (misuse) return refuse(misuse);
  const code = await runWrapper(compilerArgv, process.env, {
    serverScript: join(__dirname, 'server.mjs'),
    // Not bundled in here (scripts/build.mjs): a hit over a lane never parses it.
    loadSlowPath: () => require(join(__dirname, 'wrapper-slow-path.cjs')) as typeof import('../wrapper/slow-path.js'),
  });
  // Every byte the wrapper writes is written synchronously (sync-io.ts), and nothing else is left to
  // do: exiting at once skips Node's winding down (its heap and threads), milliseconds on every call.
  process.exit(code);
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
