import { makeDirectorySync } from '../fs/make-directory.js';
/**
 * The watchdog of bin/hoard's lanes (dist/sh-watchdog.mjs; started by sh-watchdog.ts). A POSIX shell
 * cannot bound a read (dash has no `read -t`): a shell whose server took its request and then went
 * silent (stopped by a signal, a suspended terminal, a blocked event loop) would wait for ever. The
 * server beats on this process's stdin every second; when the beats stop for longer than the stall
 * limit, each shell waiting on one of that server's lanes is told `timeout`, and compiles directly.
 * A server that dies closes the pipe: the shells read end-of-file anyway, and this process exits.
 * Node built-ins only: it starts once per server and does nothing else.
 */
import { closeSync, constants, openSync, readdirSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { laneOwner, REPLIES_DIR, TAKEN_DIR, TOLD_DIR } from '../protocol/lanes.js';

/** The line a waiting shell reads instead of its server's answer. */
export const TIMEOUT_LINE = 'timeout\n';
/** A request left unread is read away, so a shell blocked writing one larger than a pipe holds goes on. */
const DRAIN_LIMIT_BYTES = 16 << 20;

function drain(path: string): void {
  const descriptor = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const chunk = Buffer.allocUnsafe(65536);
    for (let total = 0; total < DRAIN_LIMIT_BYTES; ) {
      const read = readSync(descriptor, chunk);
      if (read === 0) break;
      total += read;
    }
  } catch {
    // EAGAIN: nothing more is there.
  } finally {
    closeSync(descriptor);
  }
}

/**
 * Tells every shell that has claimed one of `serverPid`'s lanes in `lanesDir` (the `.sh` pool) and was
 * not told yet that the server is silent. Returns the lanes told. Never blocks: a reply nobody reads
 * any more (its shell is gone and so is the server) is skipped. `timeout` is final: the lane is marked
 * told (TOLD_DIR) before the line is written, and one that cannot be marked is not told, since its
 * server, resumed, would still store or restore for a shell that went on without it.
 */
export function tellWaitingShells(lanesDir: string, serverPid: number, told: Set<string>): string[] {
  let claimed: string[];
  try {
    claimed = readdirSync(join(lanesDir, TAKEN_DIR));
  } catch {
    return [];
  }
  const now: string[] = [];
  for (const id of claimed) {
    if (laneOwner(id) !== serverPid || told.has(id)) continue;
    let descriptor: number;
    try {
      descriptor = openSync(join(lanesDir, REPLIES_DIR, id), constants.O_WRONLY | constants.O_NONBLOCK);
    } catch {
      // ENXIO: no reader, nobody waits. ENOENT: the lane is gone.
      told.add(id);
      continue;
    }
    try {
      makeDirectorySync(join(lanesDir, TOLD_DIR), 0o700);
      writeFileSync(join(lanesDir, TOLD_DIR, id), '');
    } catch {
      // Not marked, not told: the next look tries again.
      closeSync(descriptor);
      continue;
    }
    told.add(id);
    try {
      drain(join(lanesDir, id));
    } catch {
      // Gone, or never made: the shell finds out on its own.
    }
    try {
      writeSync(descriptor, TIMEOUT_LINE);
      now.push(id);
    } catch {
      // The shell let go of the lane meanwhile.
    } finally {
      closeSync(descriptor);
    }
  }
  return now;
}

function main(): void {
  const [lanesDir, pidText, stallText] = process.argv.slice(2);
  const serverPid = Number(pidText);
  const stallMs = Number(stallText);
  if (!lanesDir || !Number.isInteger(serverPid) || !(stallMs > 0)) process.exit(2);
  let lastBeat = Date.now();
  const told = new Set<string>();
  process.stdin.on('data', () => {
    lastBeat = Date.now();
  });
  // The server is gone (or let go of this process): its shells read end-of-file, nothing to do.
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  // Silent at two looks in a row: after a pause of this process's own (a starved machine), the first
  // look runs before the beats that arrived meanwhile are read, the second after.
  let silentLooks = 0;
  setInterval(() => {
    silentLooks = Date.now() - lastBeat > stallMs ? silentLooks + 1 : 0;
    if (silentLooks >= 2) tellWaitingShells(lanesDir, serverPid, told);
  }, 1000);
}

if (process.argv[1]?.endsWith('sh-watchdog.mjs')) main();
