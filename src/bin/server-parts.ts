import type { ServerOptions } from '../server/server.js';
import { callFingerprint, nestedEnvironment, recursionMessage } from '../wrapper/recursion.js';
import { restoreFilesAsync } from '../wrapper/restore-files-async.js';

/**
 * What a server needs beyond its own code, for either way it is started (the daemon's script, or
 * `hoard server start --foreground` in the CLI's process): its worker scripts, found beside the entry
 * script (`entry`: the entry's import.meta.url; both entries sit in dist/), and the wrapper's checks and
 * file writing for bin/hoard's fast path, without which a server has no fast-path lanes.
 */
export function serverParts(
  entry: string,
): Pick<ServerOptions, 'hashWorkerScript' | 'shWatchdogScript' | 'wrapperParts'> {
  return {
    hashWorkerScript: new URL('./hash-worker.mjs', entry),
    shWatchdogScript: new URL('./sh-watchdog.mjs', entry),
    wrapperParts: { callFingerprint, recursionMessage, nestedEnvironment, restoreFiles: restoreFilesAsync },
  };
}
