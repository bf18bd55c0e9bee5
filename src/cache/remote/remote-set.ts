import { remoteKindOf, remoteLabel, type RemoteConfig } from '../../config/remotes.js';
import type { RemoteCounters, RemoteStatus } from '../../stats/remote-counters.js';
import { GuardedStorage } from '../guarded-storage.js';
import type { CacheStorage } from '../storage.js';
import { openBackend, type OpenContext } from './open-remote.js';

export interface RemoteSetOptions extends OpenContext {
  /** The counters of the remote with this label (kept by the stats store, so they persist and zero). */
  counters: (label: string) => RemoteCounters;
  log: { warn(message: string): void; info(message: string): void };
  /**
   * Whether a remote that left the list is closed here. The server says no: its tiered store closes
   * one once the uploads queued for it are done.
   */
  closeDropped?: boolean;
  /** Opens a remote's backend; the real clients by default, a fake in tests. */
  open?: (remote: RemoteConfig, context: OpenContext) => Promise<CacheStorage>;
}

/**
 * The configured remotes, each behind its guard, in the configured order. A new configuration is
 * applied live: a remote whose settings did not change keeps its connection, cool-off and state;
 * the others are opened anew and the ones gone are closed.
 */
export class RemoteSet {
  private current: Array<{ settings: string; storage: GuardedStorage }> = [];
  private applying: Promise<void> = Promise.resolve();

  constructor(private readonly options: RemoteSetOptions) {}

  /** The remotes in the order they are asked, after the local disk. */
  get levels(): readonly GuardedStorage[] {
    return this.current.map((entry) => entry.storage);
  }

  status(): RemoteStatus[] {
    return this.current.map((entry) => entry.storage.status());
  }

  /** Takes a new list of remotes; resolves once the new ones are set up (never rejects). */
  apply(remotes: readonly RemoteConfig[]): Promise<void> {
    this.applying = this.applying
      .then(() => this.replace(remotes))
      .catch((error: Error) => this.options.log.warn(`remotes could not be applied: ${error.message}`));
    return this.applying;
  }

  private async replace(remotes: readonly RemoteConfig[]): Promise<void> {
    const open = this.options.open ?? openBackend;
    const next: typeof this.current = [];
    const kept = new Set<GuardedStorage>();
    for (const remote of remotes) {
      const settings = JSON.stringify(remote);
      const same = this.current.find((entry) => entry.settings === settings && !kept.has(entry.storage));
      if (same) {
        kept.add(same.storage);
        next.push(same);
        continue;
      }
      const label = remoteLabel(remote);
      const backend = await open(remote, this.options);
      const storage = new GuardedStorage(backend, {
        kind: remoteKindOf(remote.url) ?? 'unknown',
        readOnly: remote.read_only,
        operationTimeoutMs: remote.timeout * 1000,
        uploadTimeoutMs: remote.upload_timeout * 1000,
        coolOffMs: remote.cool_off * 1000,
        counters: () => this.options.counters(label),
        log: this.options.log,
      });
      next.push({ settings, storage });
      this.options.log.info(
        `remote ${label}: ${remote.read_only ? 'read-only' : 'read and write'}, timeout ${remote.timeout} s`,
      );
    }
    const gone = this.current.filter((entry) => !kept.has(entry.storage));
    this.current = next;
    if (this.options.closeDropped !== false)
      await Promise.all(gone.map((entry) => entry.storage.close().catch(() => undefined)));
  }

  async close(): Promise<void> {
    await this.applying;
    const all = this.current;
    this.current = [];
    await Promise.all(all.map((entry) => entry.storage.close().catch(() => undefined)));
  }
}
