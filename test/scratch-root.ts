// Global set-up of every test project: the run's scratch directories (test/scratch-tmpdir.ts makes one
// per test file) live under one directory, removed at the end of the run with whatever a file left
// there: a file whose tests were all skipped, or a worker that was stopped, removes nothing itself.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeTree } from './remove-tree.js';

export default function setup(): () => void {
  const outer = process.env.TMPDIR;
  const root = mkdtempSync(join(tmpdir(), 'hoard-t-'));
  process.env.TMPDIR = root;
  return () => {
    if (outer === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = outer;
    removeTree(root);
  };
}
