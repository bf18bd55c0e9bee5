import { useCallback, useEffect, useRef, useState } from 'react';
import { subscribeLive } from './live-connection.js';
import { EMPTY_VIEW, type LiveView, type SavedState } from './live-view.js';

/** How soon the dashboard looks again for a server after it found none: a build starts one any time. */
const RECONNECT_MS = 1000;

export interface LiveStatsSource {
  socketPath: string;
  /** The statistics saved on disk, for when no server runs. */
  loadSaved(): Promise<SavedState>;
  /** Zeroes the statistics through the server, or on disk when none runs. */
  zero(): Promise<void>;
}

/**
 * The dashboard's one link to the server: subscribes to its pushed updates; when there is no server
 * (or it stops) shows the saved statistics and keeps looking for the next one.
 */
export function useLiveStats(source: LiveStatsSource): { view: LiveView; zero(): void } {
  const [view, setView] = useState<LiveView>(EMPTY_VIEW);
  const live = useRef(false);

  const showSaved = useCallback(
    (note?: string) => {
      source.loadSaved().then(
        (saved) => {
          // A server may have come up while the files were read: its pushes are newer.
          if (live.current) return;
          setView((previous) => ({
            ...previous,
            connection: 'not-running',
            snapshot: saved.snapshot,
            history: saved.history,
            config: saved.config,
            stopping: undefined,
            receivedAt: Date.now(),
            note,
          }));
        },
        (error: Error) =>
          setView((previous) => ({
            ...previous,
            connection: 'not-running',
            stopping: undefined,
            note: `cannot read the saved statistics: ${error.message}`,
          })),
      );
    },
    [source],
  );

  useEffect(() => {
    let hangUp: (() => void) | undefined;
    let retry: NodeJS.Timeout | undefined;
    let unmounted = false;
    let shownSaved = false;
    let lastNote: string | undefined;
    const attempt = (): void => {
      hangUp = subscribeLive(source.socketPath, {
        onUpdate(update) {
          live.current = true;
          shownSaved = false;
          lastNote = undefined;
          setView((previous) => ({
            connection: 'live',
            snapshot: update.snapshot,
            recent: update.recent,
            history: update.history,
            config: update.config,
            receivedAt: Date.now(),
            ...(update.stopping ? { stopping: update.stopping } : {}),
            ...(previous.connection === 'live' && previous.note ? { note: previous.note } : {}),
          }));
        },
        onEnd(note) {
          live.current = false;
          if (unmounted) return;
          // Between servers the saved statistics are read once; they do not change until one starts.
          if (!shownSaved || note !== lastNote) showSaved(note);
          shownSaved = true;
          lastNote = note;
          retry = setTimeout(attempt, RECONNECT_MS);
        },
      });
    };
    attempt();
    return () => {
      unmounted = true;
      clearTimeout(retry);
      hangUp?.();
    };
  }, [source, showSaved]);

  const zero = useCallback(() => {
    source.zero().then(
      () => {
        // A running server pushes the zeroed state itself; without one, read the zeroed files back.
        if (!live.current) showSaved('statistics zeroed');
      },
      (error: Error) => setView((previous) => ({ ...previous, note: `zeroing failed: ${error.message}` })),
    );
  }, [source, showSaved]);

  return { view, zero };
}
