/** For tests of what digests files: files old enough to be remembered, and a memo that counts its hashing. */
import { utimesSync, writeFileSync } from 'node:fs';
import { digestFile } from './blake3.js';
import { DigestMemo } from './digest-memo.js';

/** Writes a file as it would be a while after its last edit. */
export function writeSettled(path: string, text: string): void {
  writeFileSync(path, text);
  const aMinuteAgo = Date.now() / 1000 - 60;
  utimesSync(path, aMinuteAgo, aMinuteAgo);
}

/** A memo that records each file it hashes. */
export function countingMemo(): { memo: DigestMemo; hashed: string[] } {
  const hashed: string[] = [];
  const memo = new DigestMemo(1000, (path, size) => {
    hashed.push(path);
    return digestFile(path, size);
  });
  return { memo, hashed };
}
