import { readFileSync } from 'node:fs';
import { writeAtomically } from '../fs/write-atomically.js';
import { countersFrom, emptyCounters, type Counters } from './counters.js';
import { emptyRemoteCounters, type RemoteCounters } from './remote-counters.js';
import { worktreeRecordsFrom, type WorktreeRecord } from './worktree-record.js';
import type { Worktree } from '../worktree/locate.js';

const SAVE_DELAY_MS = 500;

/**
 * Statistics that outlive the server: loaded at start, saved shortly after every change and at exit,
 * each save a whole new file renamed into place.
 */
export class StatsStore {
  counters: Counters;
  since: string;
  worktrees: Record<string, WorktreeRecord>;
  /** Every worktree seen, kept through `--zero`: hits are named by their producer's path after its row is gone. */
  knownWorktrees: Record<string, WorktreeRecord['worktree']>;
  private timer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();

  constructor(private readonly path: string) {
    const saved = StatsStore.read(path);
    this.counters = saved.counters;
    this.since = saved.since;
    this.worktrees = saved.worktrees;
    this.knownWorktrees = saved.knownWorktrees;
  }

  static read(path: string): {
    counters: Counters;
    since: string;
    worktrees: Record<string, WorktreeRecord>;
    knownWorktrees: Record<string, WorktreeRecord['worktree']>;
  } {
    try {
      const parsed = JSON.parse(readFileSync(path, 'utf8')) as {
        counters?: unknown;
        since?: unknown;
        worktrees?: unknown;
        knownWorktrees?: unknown;
      };
      const worktrees = worktreeRecordsFrom(parsed.worktrees);
      const known = Object.fromEntries(
        Object.entries(worktreeRecordsFrom(parsed.knownWorktrees)).map(([id, record]) => [id, record.worktree]),
      );
      for (const [id, record] of Object.entries(worktrees)) known[id] = record.worktree;
      return {
        counters: countersFrom(parsed.counters),
        since: typeof parsed.since === 'string' ? parsed.since : new Date().toISOString(),
        worktrees,
        knownWorktrees: known,
      };
    } catch {
      return { counters: emptyCounters(), since: new Date().toISOString(), worktrees: {}, knownWorktrees: {} };
    }
  }

  /** Applies a change and schedules a save. */
  update(change: (counters: Counters) => void): void {
    change(this.counters);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.save();
    }, SAVE_DELAY_MS);
  }

  /** Applies a change to the global counters and to those of the worktree the request belongs to. */
  updateFor(
    worktree: Worktree,
    change: (counters: Counters) => void,
    changeRecord?: (record: WorktreeRecord) => void,
  ): void {
    const { id, ...label } = worktree;
    const record = (this.worktrees[id] ??= {
      worktree: label,
      counters: emptyCounters(),
      servedBy: {},
      lastActivity: '',
    });
    record.worktree = label;
    this.knownWorktrees[id] = label;
    record.lastActivity = new Date().toISOString();
    change(record.counters);
    changeRecord?.(record);
    this.update(change);
  }

  /** The counters of one remote, to change in place; a save follows shortly (as after update). */
  remoteCounters(label: string): RemoteCounters {
    let found!: RemoteCounters;
    this.update((counters) => {
      found = counters.remotes[label] ??= emptyRemoteCounters();
    });
    return found;
  }

  zero(): void {
    this.worktrees = {};
    this.counters = emptyCounters();
    this.since = new Date().toISOString();
    void this.save();
  }

  save(): Promise<void> {
    // Saved as records (worktree labels only) so that an older hoard reading the file skips them.
    const knownWorktrees = Object.fromEntries(
      Object.entries(this.knownWorktrees).map(([id, worktree]) => [id, { worktree }]),
    );
    const content = JSON.stringify({
      format: 1,
      since: this.since,
      counters: this.counters,
      worktrees: this.worktrees,
      knownWorktrees,
    });
    this.saving = this.saving.then(async () => {
      try {
        await writeAtomically(this.path, content);
      } catch {
        // The next save tries again; the counters in memory are intact.
      }
    });
    return this.saving;
  }

  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    await this.save();
  }
}
