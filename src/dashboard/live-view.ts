import type { CompileEvent, HitRatePoint, LiveUpdate } from '../protocol/messages.js';
import type { StatsSnapshot } from '../stats/snapshot.js';

/** Whether the dashboard hears from a server: `live` while subscribed, `not-running` between servers. */
export type ConnectionState = 'connecting' | 'live' | 'not-running';

/** Everything the dashboard shows, from the server's pushes or, with no server, from the saved files. */
export interface LiveView {
  connection: ConnectionState;
  snapshot: StatsSnapshot | undefined;
  recent: CompileEvent[];
  history: HitRatePoint[];
  config: LiveUpdate['config'] | undefined;
  /** Why a running server is draining. */
  stopping?: string;
  /** When the snapshot arrived: the server's uptime is counted on from it. */
  receivedAt: number;
  /** A one-line message for the user (a failed zeroing, a server of another version). */
  note?: string;
}

/** What the dashboard shows with no server: the statistics and history it saved when it stopped. */
export interface SavedState {
  snapshot: StatsSnapshot;
  history: HitRatePoint[];
  config: LiveUpdate['config'];
}

export const EMPTY_VIEW: LiveView = {
  connection: 'connecting',
  snapshot: undefined,
  recent: [],
  history: [],
  config: undefined,
  receivedAt: 0,
};
