/**
 * Lanes: a faster way in than the socket for a compile request, the one message every compiler call
 * sends. A wrapper process that loads `node:net`, connects and waits on its event loop pays several
 * milliseconds for it; with a lane it uses synchronous file calls only.
 *
 * The server keeps a few lanes ready in `Locations.lanesDir`, each a directory named `<id>` holding two
 * FIFOs that it already has open: `request` (the server reads) and `reply` (the server writes, and holds
 * it open for reading too, so a reader never sees end-of-file while the server lives). A wrapper takes
 * a lane by renaming it into `TAKEN_DIR`: rename is atomic, so a lane has one client. The conversation
 * is the socket's (the same frames, in the same order); the lane is used once, and the server removes
 * it when the wrapper closes its end. New lanes are made in `NEW_DIR` and renamed into place once
 * open, so a lane in the directory always has its server behind it, unless that server died, which a
 * wrapper notices at once (ENXIO opening `request`) and answers by using the socket.
 */
export const LANE_REQUEST = 'request';
export const LANE_REPLY = 'reply';
/** Lanes a wrapper has taken, by their id; dot-names are never offered as lanes. */
export const TAKEN_DIR = '.taken';
export const NEW_DIR = '.new';

export function isLaneName(name: string): boolean {
  return !name.startsWith('.');
}
