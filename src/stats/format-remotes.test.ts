import { describe, expect, it } from 'vitest';
import { emptyCounters } from './counters.js';
import { formatStatsTable } from './format.js';
import { emptyRemoteCounters } from './remote-counters.js';
import type { StatsSnapshot } from './snapshot.js';

function snapshotWith(values: Partial<StatsSnapshot>): StatsSnapshot {
  return {
    counters: emptyCounters(),
    worktrees: {},
    since: '2026-12-03T09:00:00.000Z',
    cache: { dir: '/c', sizeBytes: 0, limitBytes: 1024, entries: 0, uploadQueue: 2 },
    server: { running: false },
    ...values,
  };
}

describe('hoard stats: remotes', () => {
  it('shows hits by level, the upload queue, each remote with its state and counters, and one counted but no longer configured', () => {
    const counters = { ...emptyCounters(), hits: 10 };
    const label = 'redis://cache:6379';
    counters.remoteHits = { [label]: 4, 'old-remote': 1 };
    counters.remoteBytesDown = { [label]: 2048 };
    counters.remoteBytesUp = { [label]: 1024 * 1024 };
    counters.remoteUploads = { [label]: 3 };
    counters.uploadsDropped = { [label]: 1, 'queue-full': 2 };
    counters.corruptObjects = { [label]: 1 };
    counters.remotes = { [label]: { ...emptyRemoteCounters(), hits: 5, misses: 2, timeouts: 1, skipped: 4 } };
    const table = formatStatsTable(
      snapshotWith({
        counters,
        remotes: [
          {
            label,
            kind: 'redis',
            readOnly: false,
            state: 'failing',
            failingSince: new Date().toISOString(),
            lastFailure: { kind: 'timeout', message: `${label}: no answer within 2 s`, at: new Date().toISOString() },
            counters: counters.remotes[label]!,
          },
        ],
      }),
    );
    expect(table).toMatch(/^Remote caches +1 configured, asked in this order after the local disk$/m);
    expect(table).toMatch(/^Hits by level +local 5, redis:\/\/cache:6379 4, old-remote 1$/m);
    expect(table).toMatch(/^Upload queue +2 waiting or under way; 2 dropped while it was full$/m);
    expect(table).toMatch(/^ {2}redis:\/\/cache:6379 +failing since \d\d:\d\d:\d\d \(timeout\)$/m);
    expect(table).toMatch(/^ +4 hits, 2.0 KiB down, 3 uploads, 1.0 MiB up$/m);
    expect(table).toMatch(/^ +lookups: 5 found, 2 not found$/m);
    expect(table).toMatch(/^ +1 timeouts, 1 unusable objects, 4 calls skipped while failing, 1 uploads dropped$/m);
    expect(table).toMatch(/^ +last failure: redis:\/\/cache:6379: no answer within 2 s$/m);
    expect(table).toMatch(/^ {2}old-remote +no longer configured$/m);
  });

  it('says nothing of remotes when there never were any', () => {
    expect(formatStatsTable(snapshotWith({}))).not.toContain('Remote');
  });
});
