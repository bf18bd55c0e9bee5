import { lstatSync, type Stats } from 'node:fs';
import { HoardError } from '../errors/hoard-error.js';

/**
 * The rendezvous is the directory holding the server's socket and lanes. Whoever can put a socket or a
 * lane there receives every compile request (the caller's whole environment) and answers it (which files
 * the wrapper writes, which arguments the compiler gets). So the wrapper, the command-line tool and the
 * server use the directory only if it is this user's own, a real directory (lstat: a symbolic link could
 * point anywhere), and no one else may write in it or enter it. One lstat: this runs on every compile.
 */
export type Rendezvous = { state: 'absent' } | { state: 'trusted' } | { state: 'untrusted'; problem: string };

/** Group or others may write (create, rename, remove names) or enter (reach what is inside). */
const OPEN_TO_OTHERS = 0o033;

/** The hot path's check: the state alone, its reason worked out by inspectRendezvous when it is needed. */
export function rendezvousState(dir: string): Rendezvous['state'] {
  let info: Stats | undefined;
  try {
    info = lstatSync(dir, { throwIfNoEntry: false });
  } catch {
    return 'untrusted';
  }
  if (!info) return 'absent';
  const uid = process.getuid?.();
  return info.isDirectory() && (uid === undefined || (info.uid === uid && (info.mode & OPEN_TO_OTHERS) === 0))
    ? 'trusted'
    : 'untrusted';
}

export function inspectRendezvous(dir: string, uid: number | undefined = process.getuid?.()): Rendezvous {
  let info: Stats | undefined;
  try {
    info = lstatSync(dir, { throwIfNoEntry: false });
  } catch (error) {
    return {
      state: 'untrusted',
      problem: `${dir} cannot be examined (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    };
  }
  if (!info) return { state: 'absent' };
  if (info.isSymbolicLink()) return { state: 'untrusted', problem: `${dir} is a symbolic link` };
  if (!info.isDirectory()) return { state: 'untrusted', problem: `${dir} is not a directory` };
  // Without user ids (Windows) there is nobody else to guard against in this sense.
  if (uid === undefined) return { state: 'trusted' };
  if (info.uid !== uid)
    return { state: 'untrusted', problem: `${dir} belongs to user ${info.uid}, not to you (${uid})` };
  if ((info.mode & OPEN_TO_OTHERS) !== 0) {
    return {
      state: 'untrusted',
      problem: `${dir} can be written or entered by others (mode ${(info.mode & 0o777).toString(8).padStart(3, '0')})`,
    };
  }
  return { state: 'trusted' };
}

/** What the user can do about an untrusted rendezvous, for the end of the one-line message. */
export function rendezvousAdvice(dir: string): string {
  return `remove it or make it yours alone (chmod 700 ${dir}), or point XDG_RUNTIME_DIR or HOARD_DIR at a directory only you can use`;
}

/** Thrown where a client meets an untrusted rendezvous; the message is the whole line for the user. */
export class UntrustedRendezvous extends HoardError {
  override name = 'UntrustedRendezvous';
  override readonly code = 'untrusted-rendezvous';
  constructor(problem: string, dir: string) {
    super(`${problem}, so hoard will not use its server there: ${rendezvousAdvice(dir)}`);
  }
}

/** Throws UntrustedRendezvous unless the directory is trusted or absent. */
export function assertRendezvous(dir: string): 'absent' | 'trusted' {
  const found = inspectRendezvous(dir);
  if (found.state === 'untrusted') throw new UntrustedRendezvous(found.problem, dir);
  return found.state;
}

/**
 * The directory holding the rendezvous: whoever can rename entries in it can swap the rendezvous for
 * theirs between a check and its use. Fine when it is the user's or root's and others cannot write it,
 * or when it is sticky (/tmp: nobody renames another's entries). The server checks it once at start
 * (the wrapper's hot path cannot afford a second lstat).
 */
export function parentProblem(dir: string, uid: number | undefined = process.getuid?.()): string | undefined {
  if (uid === undefined) return undefined;
  const info = lstatSync(dir, { throwIfNoEntry: false });
  if (!info) return undefined;
  if (info.isSymbolicLink()) return undefined; // links in the path above are the user's own choice of place
  if (info.mode & 0o1000) return undefined;
  if (info.uid !== uid && info.uid !== 0)
    return `${dir}, where it lives, belongs to user ${info.uid}, who can replace it`;
  if (info.mode & 0o022)
    return `${dir}, where it lives, can be written by others without the sticky bit (mode ${(info.mode & 0o777).toString(8)}), so they can replace it`;
  return undefined;
}
