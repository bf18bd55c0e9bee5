import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { emptyRemoteCounters, type RemoteStatus } from '../stats/remote-counters.js';
import { Dashboard } from './dashboard.js';
import { liveView, NOW, snapshot } from './test-factory.js';

afterEach(() => cleanup());

const REMOTES: RemoteStatus[] = [
  {
    label: 's3://team-cache/hoard',
    kind: 's3',
    readOnly: true,
    state: 'ok',
    counters: { ...emptyRemoteCounters(), hits: 41, misses: 3 },
  },
  { label: 'redis://cache:6379', kind: 'redis', readOnly: false, state: 'ok', counters: emptyRemoteCounters() },
  {
    label: 'redis://backup:6379',
    kind: 'redis',
    readOnly: false,
    state: 'failing',
    failingSince: new Date(NOW - 90_000).toISOString(),
    lastFailure: { kind: 'timeout', message: 'no answer within 2 s', at: new Date(NOW - 10_000).toISOString() },
    counters: { ...emptyRemoteCounters(), timeouts: 1, skipped: 12 },
  },
];

describe('Dashboard header: remotes', () => {
  it('shows each remote with its state, hits and bytes', () => {
    const base = snapshot();
    const counters = {
      ...base.counters,
      remoteHits: { 's3://team-cache/hoard': 40 },
      remoteBytesDown: { 's3://team-cache/hoard': 12 * 1024 * 1024 },
      remoteUploads: { 'redis://cache:6379': 7 },
      remoteBytesUp: { 'redis://cache:6379': 2048 },
    };
    const view = liveView({
      snapshot: { ...base, counters, remotes: REMOTES, cache: { ...base.cache, uploadQueue: 3 } },
    });
    const frame =
      render(
        <Dashboard
          view={view}
          now={NOW}
          width={140}
          height={40}
          color={false}
          home="/home/dev"
          onQuit={() => undefined}
          onZero={() => undefined}
        />,
      ).lastFrame() ?? '';
    expect(frame).toContain('remote s3://team-cache/hoard · read-only · 40 hits · 12.0 MiB down · 0 up (0 B)');
    expect(frame).toContain('remote redis://cache:6379 · ok · 0 hits · 0 B down · 7 up (2.0 KiB)');
    const since = new Date(NOW - 90_000).toTimeString().slice(0, 8);
    expect(frame).toContain(
      `remote redis://backup:6379 · failing since ${since} (timeout) · 0 hits · 0 B down · 0 up (0 B) · 1 timeouts · no answer within 2 s`,
    );
    expect(frame).toContain('uploads queued 3');
  });

  it('shows no remote line without remotes', () => {
    const frame =
      render(
        <Dashboard
          view={liveView()}
          now={NOW}
          width={140}
          height={40}
          color={false}
          home="/home/dev"
          onQuit={() => undefined}
          onZero={() => undefined}
        />,
      ).lastFrame() ?? '';
    expect(frame).not.toContain('remote ');
  });
});
