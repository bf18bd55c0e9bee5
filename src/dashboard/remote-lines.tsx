import { Text } from 'ink';
import { formatBytes } from '../stats/format-units.js';
import type { Counters } from '../stats/counters.js';
import { remoteState, remoteTally } from '../stats/format-remotes.js';
import type { RemoteStatus } from '../stats/remote-counters.js';

export interface RemoteLinesProps {
  remotes: readonly RemoteStatus[] | undefined;
  counters: Counters | undefined;
  /** Uploads waiting or under way. */
  uploadQueue?: number | undefined;
  now: number;
  color: boolean;
}

/** One header line per remote cache: its state (ok, read-only, failing since when), hits it served and bytes. */
export function RemoteLines({ remotes, counters, uploadQueue, now, color }: RemoteLinesProps) {
  if (!remotes || remotes.length === 0 || !counters) return null;
  return (
    <>
      {remotes.map((remote) => {
        const failing = remote.state === 'failing';
        const tally = remoteTally(counters, remote.label, remote.counters);
        const guard = tally.guard;
        const failures = [
          guard?.errors && `${guard.errors} errors`,
          guard?.timeouts && `${guard.timeouts} timeouts`,
          guard?.authFailures && `${guard.authFailures} refused`,
        ].filter(Boolean);
        return (
          <Text key={remote.label} wrap="truncate-end">
            remote {remote.label} ·{' '}
            <Text color={color ? (failing ? 'red' : 'green') : undefined}>{remoteState(remote, now)}</Text>
            {` · ${tally.hits} hits · ${formatBytes(tally.bytesDown)} down · ${tally.uploads} up (${formatBytes(tally.bytesUp)})`}
            {failures.length > 0 ? ` · ${failures.join(' · ')}` : ''}
            {failing && remote.lastFailure ? ` · ${remote.lastFailure.message}` : ''}
          </Text>
        );
      })}
      {uploadQueue ? <Text wrap="truncate-end">uploads queued {uploadQueue}</Text> : null}
    </>
  );
}
