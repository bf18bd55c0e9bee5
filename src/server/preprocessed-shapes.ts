import type { ManifestStore } from '../cache/manifest-store.js';
import type { PreprocessedShapes } from './cc-handler.js';

/**
 * The shapes of preprocessed keys (ccShapeKey) kept as manifests of their own: one combination with no
 * files, naming a preprocessed key seen under the shape. Kept where the manifests are, so they go
 * wherever manifests go, and a shape's record costs what a manifest lookup costs. A preprocessed key
 * worked out after its compile was stored under its direct result key (depend mode) is kept the same
 * way: a manifest under the preprocessed key naming that entry.
 */
export function preprocessedShapes(manifests: ManifestStore): PreprocessedShapes {
  const none = { path: (recorded: string) => recorded, env: () => null };
  return {
    has: async (shape) => (await manifests.find(shape, none)) !== undefined,
    add: (shape, preprocessedKey) => manifests.add(shape, { files: [], envDeps: [], resultKey: preprocessedKey }),
    entryFor: (preprocessedKey) => manifests.find(preprocessedKey, none),
    file: (preprocessedKey, entryKey) =>
      manifests.add(preprocessedKey, { files: [], envDeps: [], resultKey: entryKey }),
  };
}
