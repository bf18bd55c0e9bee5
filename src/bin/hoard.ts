/**
 * The `hoard` executable. As a compiler wrapper it runs once per compiler call, so this file and what
 * it imports use Node built-ins only; the command-line tool is loaded only when asked for.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isCliInvocation } from '../cli/command-names.js';
import { runWrapper } from '../wrapper/wrapper.js';
import { misuseMessage, withoutLeadingHoard } from '../wrapper/misuse.js';
import { callFingerprint, masqueradeMessage, nestedEnvironment } from '../wrapper/recursion.js';
import { restoredEnvironment } from '../client/environment.js';
import { writeOutput } from '../wrapper/sync-io.js';
import type { SlowPath, WrapperCall } from '../wrapper/call.js';
import { cannotRun, exitStatus } from '../wrapper/exit-status.js';
import { BUGS_URL } from '../errors/bugs-url.js';

/** Not process.stderr: building its stream costs more than this one-line answer (sync-io.ts, docs/decisions.md). */
function refuse(message: string): number {
  writeOutput(2, `${message}\n`);
  return 2;
}

/**
 * The rest of the wrapper (src/wrapper/slow-path.ts), or, where it cannot be loaded (an install cut
 * short, a rebuild under way), a stand-in that says so on stderr and compiles directly: a broken install
 * must not fail builds. A last resort: the compiler gets no jobserver (it warns) and nothing is cached.
 */
function loadSlowPath(): SlowPath {
  const path = join(__dirname, 'wrapper-slow-path.cjs');
  try {
    return require(path) as typeof import('../wrapper/slow-path.js');
  } catch (error) {
    const compileDirectly = (call: WrapperCall): Promise<number> => {
      writeOutput(
        2,
        `hoard: cannot load ${path} (${(error as Error).message.split('\n')[0]}); compiling directly. Reinstall hoard.\n`,
      );
      const run = process
        .getBuiltinModule('node:child_process')
        .spawnSync(call.compiler, call.args, { stdio: 'inherit', env: call.compilerEnv });
      if (run.error) writeOutput(2, cannotRun(call.compiler, run.error));
      return Promise.resolve(run.error ? 127 : exitStatus(run.status, run.signal));
    };
    return {
      finish: (call, first) => {
        first?.connection.close();
        return compileDirectly(call);
      },
      fallBack: (call) => compileDirectly(call),
      replaceCorrupt: (call, connection) => {
        connection.close();
        return compileDirectly(call);
      },
      refuseRendezvous: (call) => compileDirectly(call),
      compileAfterBug: ([compiler, ...args]) => {
        // Marked as the wrapper marks it (internal-error.ts): a compiler leading back here stops at the recursion check.
        let compilerEnv: NodeJS.ProcessEnv = process.env;
        try {
          compilerEnv = nestedEnvironment(
            restoredEnvironment(process.env),
            callFingerprint(process.cwd(), compiler!, args),
          );
        } catch {
          // The compile goes on regardless.
        }
        return compileDirectly({ compiler, args, compilerEnv } as WrapperCall);
      },
    };
  }
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  // Before the commands: `rustc --version` through a link to hoard must not answer with hoard's version.
  const masquerade = masqueradeMessage(process.env);
  if (masquerade) return refuse(masquerade);
  if (isCliInvocation(argv)) {
    const cli = (await import(pathToFileURL(join(__dirname, 'cli.mjs')).href)) as {
      main(argv: string[]): Promise<number>;
    };
    return cli.main(argv);
  }
  const compilerArgv = withoutLeadingHoard(argv);
  const misuse = misuseMessage(compilerArgv, compilerArgv.length < argv.length);
  if (misuse) return refuse(misuse);
  let code: number;
  try {
    code = await runWrapper(compilerArgv, process.env, {
      // Not bundled in here (scripts/build.mjs): a hit over a lane never parses it.
      loadSlowPath,
    });
  } catch (error) {
    code = await loadSlowPath().compileAfterBug(compilerArgv, error);
  }
  // Every byte the wrapper writes is written synchronously (sync-io.ts), and nothing else is left to
  // do: exiting at once skips Node's winding down (its heap and threads), milliseconds on every call.
  process.exit(code);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    writeOutput(
      2,
      `hoard: internal error (${String(error).split('\n')[0]}). This is a bug in hoard: please report it at ${BUGS_URL}\n`,
    );
    process.exitCode = 70;
  },
);
