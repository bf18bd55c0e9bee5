import { parseArgs } from 'node:util';
import { LOG_LEVELS, type LogLevel } from '../config/schema.js';
import { runServer } from '../server/server.js';
import { UntrustedRendezvous } from '../protocol/rendezvous.js';
import { callFingerprint, nestedEnvironment, recursionMessage } from '../wrapper/recursion.js';
import { restoreFilesAsync } from '../wrapper/restore-files-async.js';

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
  hashWorkerScript: new URL('./hash-worker.mjs', import.meta.url),
  shWatchdogScript: new URL('./sh-watchdog.mjs', import.meta.url),
  // bin/hoard's fast path checks and writes as the Node wrapper does, with its code.
  wrapperParts: { callFingerprint, recursionMessage, nestedEnvironment, restoreFiles: restoreFilesAsync },
  ...(level ? { logLevel: level as LogLevel } : {}),
}).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // A refusal the user can act on is one line; anything else is a bug, with its stack.
    const line = error instanceof UntrustedRendezvous ? error.message : ((error as Error).stack ?? String(error));
    process.stderr.write(`hoard server: ${line}\n`);
    process.exit(1);
  },
);
