import { formatBytes } from './format-units.js';
import { sumOf, type Counters } from './counters.js';
import type { RemoteCounters, RemoteStatus } from './remote-counters.js';
import type { StatsSnapshot } from './snapshot.js';

/** "ok", "read-only", or "failing since 10:02:03 (timeout)": a remote's state in a few words. */
export function remoteState(status: RemoteStatus, now = Date.now()): string {
  if (status.state === 'failing' && status.failingSince) {
    const since = new Date(status.failingSince);
    const when =
      now - since.getTime() < 86_400_000
        ? since.toTimeString().slice(0, 8)
        : since.toISOString().slice(0, 16).replace('T', ' ');
    return `failing since ${when}${status.lastFailure ? ` (${status.lastFailure.kind})` : ''}`;
  }
  return status.readOnly ? 'read-only' : 'ok';
}

/** What one remote did, from the tiered store's counters (hits served, bytes, uploads) and its guard's (lookups, failures). */
export interface RemoteTally {
  hits: number;
  bytesDown: number;
  bytesUp: number;
  uploads: number;
  uploadsDropped: number;
  corrupt: number;
  guard: RemoteCounters | undefined;
}

export function remoteTally(counters: Counters, label: string, guard?: RemoteCounters): RemoteTally {
  return {
    hits: counters.remoteHits?.[label] ?? 0,
    bytesDown: counters.remoteBytesDown?.[label] ?? 0,
    bytesUp: counters.remoteBytesUp?.[label] ?? 0,
    uploads: counters.remoteUploads?.[label] ?? 0,
    uploadsDropped: counters.uploadsDropped?.[label] ?? 0,
    corrupt: counters.corruptObjects?.[label] ?? 0,
    guard: counters.remotes?.[label] ?? guard,
  };
}

function troubles(tally: RemoteTally): string {
  const guard = tally.guard;
  const parts = [
    guard?.errors && `${guard.errors} errors`,
    guard?.timeouts && `${guard.timeouts} timeouts`,
    guard?.authFailures && `${guard.authFailures} refused credentials`,
    tally.corrupt && `${tally.corrupt} unusable objects`,
    guard?.skipped && `${guard.skipped} calls skipped while failing`,
    tally.uploadsDropped && `${tally.uploadsDropped} uploads dropped`,
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : 'no failures';
}

/**
 * The remote caches for `hoard stats`: hits by level, each configured remote with its state (a running
 * server's view), and any remote counted since the statistics were zeroed but no longer configured.
 */
export function formatRemoteLines(snapshot: StatsSnapshot, row: (label: string, value: string) => string): string[] {
  const { counters } = snapshot;
  const configured = snapshot.remotes ?? [];
  const counted = new Set([
    ...Object.keys(counters.remotes ?? {}),
    ...Object.keys(counters.remoteHits ?? {}),
    ...Object.keys(counters.remoteUploads ?? {}),
  ]);
  const labels = [
    ...configured.map((status) => status.label),
    ...[...counted].filter((label) => !configured.some((status) => status.label === label)),
  ];
  if (labels.length === 0) return [];
  const remoteHits = sumOf(counters.remoteHits ?? {});
  const lines = [
    row(
      'Remote caches',
      configured.length > 0
        ? `${configured.length} configured, asked in this order after the local disk`
        : 'none configured now',
    ),
    row(
      'Hits by level',
      [
        `local ${counters.hits - remoteHits}`,
        ...labels.map((label) => `${label} ${counters.remoteHits?.[label] ?? 0}`),
      ].join(', '),
    ),
  ];
  if (snapshot.cache.uploadQueue !== undefined)
    lines.push(
      row(
        'Upload queue',
        `${snapshot.cache.uploadQueue} waiting or under way${counters.uploadsDropped?.['queue-full'] ? `; ${counters.uploadsDropped['queue-full']} dropped while it was full` : ''}`,
      ),
    );
  for (const label of labels) {
    const status = configured.find((entry) => entry.label === label);
    const tally = remoteTally(counters, label, status?.counters);
    lines.push(row(`  ${label}`, status ? remoteState(status) : 'no longer configured'));
    lines.push(
      row(
        '',
        `${tally.hits} hits, ${formatBytes(tally.bytesDown)} down, ${tally.uploads} uploads, ${formatBytes(tally.bytesUp)} up`,
      ),
    );
    if (tally.guard) lines.push(row('', `lookups: ${tally.guard.hits} found, ${tally.guard.misses} not found`));
    lines.push(row('', troubles(tally)));
    if (status?.state === 'failing' && status.lastFailure)
      lines.push(row('', `last failure: ${status.lastFailure.message}`));
  }
  return lines;
}
