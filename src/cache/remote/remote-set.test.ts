import { describe, expect, it } from 'vitest';
import { remoteSchema, type RemoteConfig } from '../../config/remotes.js';
import { emptyRemoteCounters, type RemoteCounters } from '../../stats/remote-counters.js';
import type { CacheStorage } from '../storage.js';
import { RemoteSet } from './remote-set.js';

/** Backends that only remember being opened and closed. */
function fakes(closeDropped?: boolean) {
  const opened: string[] = [];
  const closed: string[] = [];
  const open = async (remote: RemoteConfig): Promise<CacheStorage> => {
    opened.push(remote.url);
    return {
      label: remote.name ?? remote.url,
      get: async () => undefined,
      put: async () => undefined,
      remove: async () => undefined,
      close: async () => {
        closed.push(remote.url);
      },
    };
  };
  const counters: Record<string, RemoteCounters> = {};
  const set = new RemoteSet({
    env: {},
    home: '/nonexistent',
    open,
    ...(closeDropped === undefined ? {} : { closeDropped }),
    counters: (label) => (counters[label] ??= emptyRemoteCounters()),
    log: { warn: () => undefined, info: () => undefined },
  });
  return { set, opened, closed };
}

const remote = (settings: Record<string, unknown>) => remoteSchema.parse(settings);

describe('RemoteSet', () => {
  it('applies a new list live: unchanged remotes keep their connection and state, changed ones are reopened, removed ones closed', async () => {
    const { set, opened, closed } = fakes();
    await set.apply([remote({ url: 'redis://a' }), remote({ url: 's3://b' })]);
    expect(set.levels.map((level) => level.label)).toEqual(['redis://a', 's3://b']);
    const first = set.levels[0];

    await set.apply([remote({ url: 's3://b', read_only: true }), remote({ url: 'redis://a' })]);
    expect(set.levels.map((level) => level.label)).toEqual(['s3://b', 'redis://a']);
    expect(set.levels[1]).toBe(first);
    expect(set.levels[0]!.readOnly).toBe(true);
    expect(opened).toEqual(['redis://a', 's3://b', 's3://b']);
    expect(closed).toEqual(['s3://b']);

    await set.apply([]);
    expect(set.levels).toEqual([]);
    expect(closed.sort()).toEqual(['redis://a', 's3://b', 's3://b']);
  });

  it('leaves closing a dropped remote to its user when told to (the tiered store closes it after its uploads)', async () => {
    const { set, closed } = fakes(false);
    await set.apply([remote({ url: 'redis://a' })]);
    await set.apply([]);
    expect(closed).toEqual([]);
  });

  it('reports each remote with its state and kind', async () => {
    const { set } = fakes();
    await set.apply([remote({ url: 'redis://a', name: 'team' }), remote({ url: 's3://b', read_only: true })]);
    expect(set.status()).toEqual([
      expect.objectContaining({ label: 'team', kind: 'redis', readOnly: false, state: 'ok' }),
      expect.objectContaining({ label: 's3://b', kind: 's3', readOnly: true, state: 'ok' }),
    ]);
    await set.close();
    expect(set.levels).toEqual([]);
  });
});
