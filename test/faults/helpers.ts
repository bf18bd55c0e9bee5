import { spawnSync } from 'node:child_process';
export { digestsOf } from '../e2e/harness.js';

export const IS_ROOT = process.getuid?.() === 0;

function found(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
}

/**
 * Why a test that needs another local user cannot run here, or undefined when it can: it makes one with
 * useradd, which needs root.
 */
export function otherUserUnavailable(): string | undefined {
  if (!IS_ROOT) return 'needs root to create another user with useradd (CI runs as root)';
  if (!found('useradd') || !found('userdel')) return 'useradd/userdel not installed (Debian package passwd)';
  return undefined;
}

export interface OtherUser {
  name: string;
  uid: number;
  gid: number;
  remove(): void;
}

/** A throwaway system user without a home: the other local user of the trust model. */
export function createOtherUser(): OtherUser {
  const name = `hoardfault${process.pid}`;
  const made = spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', name], {
    encoding: 'utf8',
  });
  if (made.status !== 0) throw new Error(`useradd ${name} failed: ${made.stderr}`);
  const id = (flag: string): number => Number(spawnSync('id', [flag, name], { encoding: 'utf8' }).stdout.trim());
  return {
    name,
    uid: id('-u'),
    gid: id('-g'),
    remove: () => void spawnSync('userdel', [name]),
  };
}
