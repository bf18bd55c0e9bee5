/**
 * Lanes: a faster way in than the socket for a compile request, the one message every compiler call
 * sends. A wrapper process that loads `node:net`, connects and waits on its event loop pays several
 * milliseconds for it; with a lane it uses synchronous file calls only.
 *
 * A lane is two FIFOs the server has already opened: `<lanesDir>/<id>`, the request (the server reads),
 * and `<lanesDir>/.replies/<id>`, the reply (the server writes, and holds it open for reading too, so a
 * reader never sees end-of-file while the server lives). Only the request is offered: a wrapper takes
 * the lane by renaming it into `.taken/`, which is atomic, so a lane has one client. The conversation
 * is the socket's (the same frames, in the same order); the lane is used once, and the server removes
 * both FIFOs when the wrapper closes its end. New lanes are made in `.new/` and renamed into place once
 * open, so an offered lane always has its server behind it, unless that server died, which a wrapper
 * notices at once (ENXIO opening the request) and answers by using the socket. Plain files, not a
 * directory per lane: creating and removing directories costs the server more than the rest of a lane.
 * A lane's id starts with its server's pid: a starting server removes only lanes whose server is gone.
 * Linux only: a FIFO opened for reading and writing at once is undefined in POSIX, and end-of-file on a
 * FIFO that has had no writer yet differs between kernels.
 */
/** Lanes a wrapper has taken, by their id; dot-names are never offered as lanes. */
export const TAKEN_DIR = '.taken';
export const REPLIES_DIR = '.replies';
export const NEW_DIR = '.new';
/**
 * The lanes of bin/hoard's fast path, a pool of their own inside the lanes directory: a POSIX shell has
 * no rename, so it takes a lane by creating `.sh/.taken/<id>` with noclobber (O_EXCL), and the request
 * stays offered until the server removes it. Its conversation is lines and NUL-ended fields, not frames
 * (src/server/sh-lane.ts and docs/architecture.md, "The launcher's fast path").
 */
export const SH_LANES_DIR = '.sh';
/**
 * In the `.sh` pool: `<id>` here marks a lane whose shell the watchdog told `timeout` (its server was
 * silent), made before the line is written. The shell went on without the server, so the server, once
 * it runs again, acts no more for that lane: it stores and restores nothing for it.
 */
export const TOLD_DIR = '.told';

export function isLaneName(name: string): boolean {
  return !name.startsWith('.');
}

/** A lane's id is `<pid of its server>-<sequence>`: the pid, or undefined for a name not made that way. */
export function laneOwner(name: string): number | undefined {
  const match = /^(\d+)-\d+$/.exec(name);
  return match ? Number(match[1]) : undefined;
}
