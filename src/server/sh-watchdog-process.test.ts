import { spawnSync } from 'node:child_process';
import {
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPLIES_DIR, TAKEN_DIR, TOLD_DIR } from '../protocol/lanes.js';
import { tellWaitingShells, TIMEOUT_LINE } from './sh-watchdog-process.js';

const opened: number[] = [];
const dirs: string[] = [];

afterEach(() => {
  for (const descriptor of opened.splice(0)) closeSync(descriptor);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A lane as its server holds it (both FIFOs open for reading and writing), optionally claimed by a waiting shell. */
function lane(lanesDir: string, id: string, claimed: boolean): { reply: number; request: number } {
  expect(spawnSync('mkfifo', ['-m', '600', join(lanesDir, id), join(lanesDir, REPLIES_DIR, id)]).status).toBe(0);
  const server = [join(lanesDir, id), join(lanesDir, REPLIES_DIR, id)].map((path) =>
    openSync(path, constants.O_RDWR | constants.O_NONBLOCK),
  );
  opened.push(...server);
  if (claimed) writeFileSync(join(lanesDir, TAKEN_DIR, id), '');
  const reply = openSync(join(lanesDir, REPLIES_DIR, id), constants.O_RDONLY | constants.O_NONBLOCK);
  const request = openSync(join(lanesDir, id), constants.O_WRONLY | constants.O_NONBLOCK);
  opened.push(reply, request);
  return { reply, request };
}

function readNow(descriptor: number): string {
  const chunk = Buffer.alloc(1024);
  try {
    return chunk.subarray(0, readSync(descriptor, chunk)).toString();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return '';
    throw error;
  }
}

describe('the sh lanes watchdog', () => {
  it("tells each shell waiting on the silent server's lanes, once, and reads away a request left unread", () => {
    const lanesDir = mkdtempSync(join(tmpdir(), 'hoard-watchdog-'));
    dirs.push(lanesDir);
    for (const sub of [TAKEN_DIR, REPLIES_DIR]) mkdirSync(join(lanesDir, sub));
    const waiting = lane(lanesDir, '4242-1', true);
    // Larger than a pipe holds would block its shell; here a part of one stands for it.
    writeSync(waiting.request, Buffer.alloc(4096, 'r'));
    const offered = lane(lanesDir, '4242-2', false);
    const otherServer = lane(lanesDir, '4343-1', true);
    const told = new Set<string>();

    expect(tellWaitingShells(lanesDir, 4242, told)).toEqual(['4242-1']);
    expect(readNow(waiting.reply)).toBe(TIMEOUT_LINE);
    // Marked for its server, which acts no more for the lane once it runs again.
    expect(existsSync(join(lanesDir, TOLD_DIR, '4242-1'))).toBe(true);
    expect(existsSync(join(lanesDir, TOLD_DIR, '4242-2'))).toBe(false);
    expect(existsSync(join(lanesDir, TOLD_DIR, '4343-1'))).toBe(false);
    expect(readNow(offered.reply)).toBe('');
    expect(readNow(otherServer.reply)).toBe('');
    // The request's bytes are gone: the shell's write would go on.
    writeSync(waiting.request, Buffer.alloc(65536 - 1, 'r'));

    expect(tellWaitingShells(lanesDir, 4242, told)).toEqual([]);
    expect(readNow(waiting.reply)).toBe('');
  });

  it('tells no shell whose lane it cannot mark told, and tries again at the next look', () => {
    const lanesDir = mkdtempSync(join(tmpdir(), 'hoard-watchdog-'));
    dirs.push(lanesDir);
    for (const sub of [TAKEN_DIR, REPLIES_DIR]) mkdirSync(join(lanesDir, sub));
    const waiting = lane(lanesDir, '4242-1', true);
    // A file where the marks' directory goes: no mark can be made.
    writeFileSync(join(lanesDir, TOLD_DIR), '');
    const told = new Set<string>();
    expect(tellWaitingShells(lanesDir, 4242, told)).toEqual([]);
    expect(readNow(waiting.reply)).toBe('');
    rmSync(join(lanesDir, TOLD_DIR));
    expect(tellWaitingShells(lanesDir, 4242, told)).toEqual(['4242-1']);
    expect(readNow(waiting.reply)).toBe(TIMEOUT_LINE);
  });

  it('skips a claim whose lane is gone', () => {
    const lanesDir = mkdtempSync(join(tmpdir(), 'hoard-watchdog-'));
    dirs.push(lanesDir);
    for (const sub of [TAKEN_DIR, REPLIES_DIR]) mkdirSync(join(lanesDir, sub));
    writeFileSync(join(lanesDir, TAKEN_DIR, '4242-9'), '');
    expect(tellWaitingShells(lanesDir, 4242, new Set())).toEqual([]);
  });
});
