import { makeDirectorySync } from '../fs/make-directory.js';
import { parseArgs } from 'node:util';
import { LOG_LEVELS, type LogLevel } from '../config/schema.js';
import { runServer } from '../server/server.js';
import { appendFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { debugRequested, failureText, userError } from '../errors/report.js';
import { resolveLocations } from '../protocol/locations.js';
import { serverParts } from './server-parts.js';

/** `node server.mjs [--foreground] [--log-level LEVEL]`: started by the wrapper or `hoard server start`. */
const { values } = parseArgs({
  options: {
    foreground: { type: 'boolean', default: false },
    daemon: { type: 'boolean', default: false },
    'log-level': { type: 'string' },
  },
});
const level = values['log-level'];
if (level !== undefined && !(LOG_LEVELS as readonly string[]).includes(level)) {
  process.stderr.write(`hoard server: --log-level must be one of ${LOG_LEVELS.join(', ')}\n`);
  process.exit(2);
}

runServer({
  foreground: values.foreground,
  ...serverParts(import.meta.url),
  ...(level ? { logLevel: level as LogLevel } : {}),
}).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // A refusal the user can act on (userError) is one line with what to do; anything else is a bug,
    // with its stack in the server log. A daemon's stderr goes nowhere: the log is where it is read.
    const locations = resolveLocations(process.env);
    const bug = userError(error) === undefined;
    const report = {
      program: 'hoard server',
      serverLog: locations.serverLogPath,
      stackLog: bug && !values.foreground ? locations.serverLogPath : undefined,
    };
    const text = failureText(error, { ...report, debug: debugRequested(process.env) || (bug && values.foreground) });
    if (!values.foreground) {
      // As the server's Logger writes: one line, to the server log and the error log; a bug's with its stack.
      const line = `${new Date().toISOString()} server[${process.pid}] error: ${failureText(error, {
        ...report,
        debug: bug,
      })
        .trimEnd()
        .replace(/\n/g, ' | ')}\n`;
      try {
        makeDirectorySync(dirname(locations.serverLogPath), 0o700);
        appendFileSync(locations.serverLogPath, line);
        appendFileSync(locations.errorLogPath, line);
      } catch {
        // Nowhere left to write it but stderr.
      }
    }
    process.stderr.write(text);
    process.exit(1);
  },
);
