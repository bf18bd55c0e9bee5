// Tests make their scratch directories under os.tmpdir(); each test file gets a TMPDIR of its own,
// removed with everything in it when the file's tests are done, so a run leaves nothing behind.
import { chmodSync, lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const outer = process.env.TMPDIR;
const scratch = mkdtempSync(join(tmpdir(), 'hoard-test-'));
process.env.TMPDIR = scratch;

/** Directories made read-only (a Nix store's paths, for one) cannot be emptied until they are writable again. */
function makeWritable(dir: string): void {
  chmodSync(dir, 0o700);
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (lstatSync(path).isDirectory()) makeWritable(path);
  }
}

afterAll(() => {
  if (outer === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = outer;
  try {
    rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
  } catch {
    makeWritable(scratch);
    rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
  }
});
