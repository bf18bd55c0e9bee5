/*
 * The keys entries and manifests have in every level of the storage contract (CacheStorage): a kind,
 * then the hex key. A backend may put its own configured prefix in front.
 */

/** The object holding a whole entry (cache/entry-object.ts), by its result key. */
export function entryObjectKey(resultKey: string): string {
  return `e/${resultKey}`;
}

/** The object holding a direct key's manifest (the combinations of sources and env! values seen). */
export function manifestObjectKey(directKey: string): string {
  return `m/${directKey}`;
}
