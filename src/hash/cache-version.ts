/** Bumped whenever a key input or the entry format changes: old entries then simply stop matching. */
export const CACHE_VERSION = 5;
