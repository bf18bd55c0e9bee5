import type { DiskStore } from './disk-store.js';
import { decodeEntryObject, decodeObject, encodeEntryObject, encodeObject } from './entry-object.js';
import { manifestText, parseManifest, type ManifestStore } from './manifest-store.js';
import { StorageError, type CacheStorage, type PutOptions } from './storage.js';

/**
 * The local disk as one level of the storage contract: entries (`e/<key>`) and manifests (`m/<key>`)
 * as the same objects a remote holds, uncompressed. What only the local disk does (staging, eviction,
 * restores into an out-dir, outputs already in place) stays on DiskStore; this is what every level
 * does, for copying between levels and for tests that treat all levels alike.
 */
export class DiskStorage implements CacheStorage {
  readonly label = 'local';

  constructor(
    private readonly store: DiskStore,
    private readonly manifests: ManifestStore,
  ) {}

  async get(key: string): Promise<Uint8Array | undefined> {
    const [kind, hex] = split(key);
    if (kind === 'e') {
      const content = await this.store.exportEntry(hex);
      return content && encodeEntryObject(hex, content, 0);
    }
    const entries = await this.manifests.read(hex);
    return entries.length > 0 ? encodeObject('m', hex, Buffer.from(manifestText(entries), 'utf8'), 0) : undefined;
  }

  async put(key: string, value: Uint8Array, options: PutOptions): Promise<void> {
    const [kind, hex] = split(key);
    if (kind === 'e') await this.store.importEntry(hex, await decodeEntryObject(hex, value), options);
    else await this.manifests.merge(hex, parseManifest((await decodeObject('m', hex, value)).toString('utf8')));
  }

  async remove(key: string): Promise<void> {
    const [kind, hex] = split(key);
    if (kind === 'e') await this.store.remove(hex);
    else await this.manifests.remove(hex);
  }

  async close(): Promise<void> {}
}

function split(key: string): ['e' | 'm', string] {
  const match = /^([em])\/([0-9a-f]{8,128})$/.exec(key);
  if (!match) throw new StorageError('error', `not a cache object key: ${key}`);
  return [match[1] as 'e' | 'm', match[2]!];
}
