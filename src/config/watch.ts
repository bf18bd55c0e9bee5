import { existsSync, watch as watchDirectory } from 'node:fs';
import { basename, dirname, relative, sep } from 'node:path';
import { watch } from 'chokidar';

/** A watch on the config file, closed when the server stops. */
export interface ConfigWatcher {
  close(): Promise<void>;
}

/**
 * Calls `onChange` whenever the config file is created, edited or removed. When its directory exists,
 * that directory is watched with the file system's own notifications, filtered to the file's name: the
 * directory may be busy (HOARD_DIR holding config.toml beside the cache, its log and its statistics),
 * and chokidar would list the whole directory again on every change in it. Otherwise the nearest
 * existing ancestor is watched through chokidar, pruned to the path leading to the file.
 */
export function watchConfigFile(file: string, onChange: () => void): ConfigWatcher {
  let timer: NodeJS.Timeout | undefined;
  const changed = (): void => {
    // Editors write in several steps (truncate, write, rename): act once they are done.
    clearTimeout(timer);
    timer = setTimeout(onChange, 100);
  };
  const directory = dirname(file);
  const name = basename(file);
  if (existsSync(directory)) {
    try {
      const watcher = watchDirectory(directory, { persistent: false }, (_event, changedName) => {
        // A platform that cannot name the file says nothing of which one changed: it may be this one.
        if (changedName === null || changedName.toString() === name) changed();
      });
      // A directory removed while watched: there is nothing left to watch; the next start watches again.
      watcher.on('error', () => watcher.close());
      return {
        close: async () => {
          clearTimeout(timer);
          watcher.close();
        },
      };
    } catch {
      // Not watchable this way (permissions, a file system without notifications): chokidar below.
    }
  }
  let root = directory;
  while (!existsSync(root) && dirname(root) !== root) root = dirname(root);
  const onTheWay = (path: string): boolean => path === root || path === file || file.startsWith(`${path}${sep}`);
  const watcher = watch(root, {
    ignoreInitial: true,
    depth: relative(root, file).split(sep).length,
    ignored: (path: string) => !onTheWay(path),
  });
  watcher.on('all', (event, path) => {
    // A directory made on the way to the file: the file may have been written into it before chokidar
    // watched it (mkdir -p, then the file at once), so it is read then too; reading it unchanged is harmless.
    if (path === file || (event === 'addDir' && file.startsWith(`${path}${sep}`))) changed();
  });
  return {
    close: async () => {
      clearTimeout(timer);
      await watcher.close();
    },
  };
}
