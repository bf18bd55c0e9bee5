import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { processRuns } from './process-runs.js';

describe('processRuns', () => {
  it('says this process runs, and one that exited does not', () => {
    expect(processRuns(process.pid)).toBe(true);
    const exited = spawnSync(process.execPath, ['-e', '']);
    expect(processRuns(exited.pid!)).toBe(false);
  });

  it('counts a zombie (exited, not yet reaped) as gone', async () => {
    // sh starts a child that exits shortly, then becomes `sleep`, which never reaps it.
    const parent = spawn('sh', ['-c', 'sleep 0.1 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const zombie = Number((await once(parent.stdout!, 'data'))[0].toString().trim());
      await vi.waitFor(() => expect(readFileSync(`/proc/${zombie}/stat`, 'utf8')).toMatch(/\) Z /));
      expect(processRuns(zombie)).toBe(false);
    } finally {
      parent.kill();
    }
  });
});
