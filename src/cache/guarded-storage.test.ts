import { describe, expect, it } from 'vitest';
import { emptyRemoteCounters } from '../stats/remote-counters.js';
import { GuardedStorage, readBudgetMs } from './guarded-storage.js';
import { StorageError, type CacheStorage } from './storage.js';

type Behaviour = 'answer' | 'miss' | 'hang' | StorageError;

/** A storage whose next answers are queued by the test; it remembers what it was asked. */
class ScriptedStorage implements CacheStorage {
  readonly label = 'fake://remote';
  readonly calls: string[] = [];
  readonly values = new Map<string, Uint8Array>();
  next: Behaviour[] = [];
  aborted = 0;
  private answer(signal?: AbortSignal): Promise<void> {
    const behaviour = this.next.shift() ?? 'answer';
    if (behaviour instanceof StorageError) return Promise.reject(behaviour);
    if (behaviour === 'hang') {
      return new Promise((_resolve, reject) =>
        signal?.addEventListener('abort', () => {
          this.aborted += 1;
          reject(new Error('aborted'));
        }),
      );
    }
    return Promise.resolve();
  }
  async get(key: string, signal?: AbortSignal): Promise<Uint8Array | undefined> {
    this.calls.push(`get ${key}`);
    const miss = this.next[0] === 'miss';
    await this.answer(signal);
    return miss ? undefined : this.values.get(key);
  }
  async put(key: string, value: Uint8Array, _options: unknown, signal?: AbortSignal): Promise<void> {
    this.calls.push(`put ${key}`);
    await this.answer(signal);
    this.values.set(key, value);
  }
  async remove(key: string, signal?: AbortSignal): Promise<void> {
    this.calls.push(`remove ${key}`);
    await this.answer(signal);
    this.values.delete(key);
  }
  async close(): Promise<void> {}
}

function guarded(options: { readOnly?: boolean } = {}) {
  const inner = new ScriptedStorage();
  const counters = emptyRemoteCounters();
  const logged: string[] = [];
  let now = 1_000_000;
  const storage = new GuardedStorage(inner, {
    kind: 'fake',
    readOnly: options.readOnly ?? false,
    operationTimeoutMs: 30,
    uploadTimeoutMs: 60,
    coolOffMs: 10_000,
    counters: () => counters,
    log: { warn: (message) => logged.push(`warn ${message}`), info: (message) => logged.push(`info ${message}`) },
    now: () => now,
  });
  return { inner, storage, counters, logged, advance: (ms: number) => (now += ms) };
}

const bytes = (text: string) => new TextEncoder().encode(text);
/** A call that may fail: the failure is what the tier above would take as a miss. */
const settled = <T>(call: Promise<T>): Promise<T | StorageError> => call.catch((error: StorageError) => error);
/** Lets a probe running in the background settle (the scripted storage's limit is 30 ms). */
const probeSettled = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 80));

describe('GuardedStorage', () => {
  it('passes calls through and counts lookups that found something and those that did not', async () => {
    const { storage, counters } = guarded();
    expect(await storage.get('e/1')).toBeUndefined();
    await storage.put('e/1', bytes('hello'), { overwrite: false });
    expect(new TextDecoder().decode(await storage.get('e/1'))).toBe('hello');
    expect(counters).toMatchObject({ hits: 1, misses: 1, errors: 0 });
    expect(storage.status()).toMatchObject({ state: 'ok', readOnly: false, kind: 'fake' });
  });

  it('cuts a call that never answers at its limit and aborts it', async () => {
    const { inner, storage, counters, logged } = guarded();
    inner.next = ['hang'];
    await expect(storage.get('e/1')).rejects.toMatchObject({ kind: 'timeout' });
    expect(inner.aborted).toBe(1);
    expect(counters).toMatchObject({ timeouts: 1, misses: 0, hits: 0 });
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(
      /^warn remote fake:\/\/remote failed \(timeout\): .*no answer within 30 ms.*raise timeout/,
    );
  });

  it('leaves a failing remote alone for the cool-off, then lets one probe through, and doubles the wait on another failure', async () => {
    const { inner, storage, counters, logged, advance } = guarded();
    inner.next = [new StorageError('error', 'fake://remote: connection refused')];
    expect(await settled(storage.get('e/1'))).toMatchObject({ kind: 'error' });
    expect(storage.status()).toMatchObject({ state: 'failing', lastFailure: { kind: 'error' } });
    for (let call = 0; call < 5; call += 1) expect(await storage.get('e/2')).toBeUndefined();
    await expect(storage.put('e/3', bytes('x'), { overwrite: false })).rejects.toThrow(/not tried, failing since/);
    expect(inner.calls).toEqual(['get e/1']);
    expect(counters).toMatchObject({ errors: 1, skipped: 6 });
    expect(storage.available).toBe(false);

    advance(10_001);
    inner.next = [new StorageError('error', 'fake://remote: connection refused')];
    expect(await storage.get('e/4')).toBeUndefined();
    await probeSettled();
    expect(inner.calls).toEqual(['get e/1', 'get e/4']);
    advance(10_001);
    await storage.get('e/5');
    expect(inner.calls).toHaveLength(2);
    advance(10_000);
    inner.values.set('e/6', bytes('six'));
    // The probe's lookup is a miss; the one after a probe that was answered goes through.
    expect(await storage.get('e/6')).toBeUndefined();
    await probeSettled();
    expect(storage.status().state).toBe('ok');
    expect(await storage.get('e/6')).toEqual(bytes('six'));
    expect(logged.filter((line) => line.startsWith('warn'))).toHaveLength(1);
    expect(logged.at(-1)).toMatch(/^info remote fake:\/\/remote answers again \(it failed 2 times in a row/);
  });

  it('after a failure, a lookup never waits for the remote: the probe after the cool-off runs beside it', async () => {
    const { inner, storage, counters, advance } = guarded();
    inner.next = ['hang'];
    await settled(storage.get('e/1'));
    expect(counters.timeouts).toBe(1);
    advance(10_001);
    inner.next = ['hang'];
    // Answered at once, while the probe of the same key waits for its limit.
    expect(await storage.get('e/2')).toBeUndefined();
    expect(inner.calls).toEqual(['get e/1', 'get e/2']);
    expect(inner.aborted).toBe(1);
    // While it runs, the remote is left alone.
    expect(await storage.get('e/3')).toBeUndefined();
    await probeSettled();
    expect(inner.aborted).toBe(2);
    expect(counters).toMatchObject({ timeouts: 2, skipped: 2, misses: 0 });
    expect(inner.calls).toEqual(['get e/1', 'get e/2']);
  });

  it('logs each kind of failure once per run of failures', async () => {
    const { inner, storage, logged, advance, counters } = guarded();
    inner.next = [
      new StorageError('auth', 'fake://remote: WRONGPASS'),
      new StorageError('auth', 'fake://remote: WRONGPASS'),
      'hang',
    ];
    await settled(storage.get('a'));
    advance(20_001);
    await storage.get('b');
    await probeSettled();
    advance(50_001);
    await storage.get('c');
    await probeSettled();
    expect(counters).toMatchObject({ authFailures: 2, timeouts: 1 });
    expect(logged.map((line) => /\((\w+)\)/.exec(line)?.[1])).toEqual(['auth', 'timeout']);
    expect(logged[0]).toMatch(/fix its credentials/);
  });

  it('a failing upload throws its StorageError (counted), a read-only remote is never written', async () => {
    const { inner, storage, counters } = guarded();
    inner.next = [new StorageError('auth', 'fake://remote: NOPERM')];
    await expect(storage.put('e/1', bytes('x'), { overwrite: false })).rejects.toMatchObject({ kind: 'auth' });
    expect(counters.authFailures).toBe(1);

    const readOnly = guarded({ readOnly: true });
    await readOnly.storage.put('e/1', bytes('x'), { overwrite: false });
    await readOnly.storage.remove('e/1');
    expect(readOnly.inner.calls).toEqual([]);
    expect(readOnly.storage.status().readOnly).toBe(true);
  });

  it('bounds a lookup by the operation timeout until its answer starts, then by a budget for its size', async () => {
    /** Answers after `startMs` (saying how large the object is), then takes `bodyMs` for the rest, or never ends. */
    const streaming = (startMs: number, size: number, bodyMs: number | 'never'): CacheStorage => ({
      label: 'fake://slow-link',
      get: (_key, signal, progress) =>
        new Promise((resolve, reject) => {
          signal?.addEventListener('abort', () => reject(new Error('aborted')));
          setTimeout(() => {
            progress?.started(size);
            if (bodyMs !== 'never') setTimeout(() => resolve(new Uint8Array(3)), bodyMs);
          }, startMs);
        }),
      put: async () => undefined,
      remove: async () => undefined,
      close: async () => undefined,
    });
    const guard = (inner: CacheStorage) => {
      const counters = emptyRemoteCounters();
      return {
        counters,
        storage: new GuardedStorage(inner, {
          kind: 'fake',
          readOnly: true,
          operationTimeoutMs: 40,
          uploadTimeoutMs: 5_000,
          coolOffMs: 10_000,
          counters: () => counters,
          log: { warn: () => undefined, info: () => undefined },
        }),
      };
    };
    // 4 MiB on a link that delivers it in 150 ms: longer than the operation timeout, within its budget.
    const large = guard(streaming(5, 4 * 1024 * 1024, 150));
    expect(await large.storage.get('e/large')).toHaveLength(3);
    expect(large.counters).toMatchObject({ hits: 1, timeouts: 0 });
    expect(large.storage.status().state).toBe('ok');
    // An answer that never starts is cut at the operation timeout.
    const silent = guard(streaming(10_000, 10, 0));
    await expect(silent.storage.get('e/silent')).rejects.toThrow(/no answer within 40 ms/);
    // One that starts and then stalls is cut when its budget (40 ms + 100 bytes at 1 MiB/s) runs out.
    const stalled = guard(streaming(5, 100, 'never'));
    await expect(stalled.storage.get('e/stalled')).rejects.toThrow(
      /an answer of 100 bytes not received within 41 ms of its start/,
    );
    expect(stalled.counters.timeouts).toBe(1);
    expect(readBudgetMs(10 * 1024 * 1024, 2000, 30_000)).toBe(12_000);
    expect(readBudgetMs(undefined, 2000, 30_000)).toBe(30_000);
  });
});
