import { existsSync } from 'node:fs';
import { dirname, relative, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';

/**
 * Calls `onChange` whenever the config file is created, edited or removed. The file (and its
 * directory) may not exist yet, so the nearest existing ancestor is watched, pruned to the path
 * leading to the file.
 */
export function watchConfigFile(file: string, onChange: () => void): FSWatcher {
  let root = dirname(file);
  while (!existsSync(root) && dirname(root) !== root) root = dirname(root);
  const onTheWay = (path: string): boolean => path === root || path === file || file.startsWith(`${path}${sep}`);
  const watcher = watch(root, {
    ignoreInitial: true,
    depth: relative(root, file).split(sep).length,
    ignored: (path: string) => !onTheWay(path),
  });
  let timer: NodeJS.Timeout | undefined;
  watcher.on('all', (_event, path) => {
    if (path !== file) return;
    // Editors write in several steps (truncate, write, rename): act once they are done.
    clearTimeout(timer);
    timer = setTimeout(onChange, 100);
  });
  return watcher;
}
