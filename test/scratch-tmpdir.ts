// Tests make their scratch directories under os.tmpdir(); each test file gets a TMPDIR of its own,
// removed with everything in it when the file's tests are done (and with the run's root by
// test/scratch-root.ts, whatever happened), so a run leaves nothing behind.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { removeTree } from './remove-tree.js';

const outer = process.env.TMPDIR;
const scratch = mkdtempSync(join(tmpdir(), 'f'));
process.env.TMPDIR = scratch;

afterAll(() => {
  if (outer === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = outer;
  removeTree(scratch);
});
