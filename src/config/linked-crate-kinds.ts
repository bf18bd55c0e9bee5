/** Kinds of linked crate the cache can take; each can be turned off (config `linked_crates`). Sorted. */
export const LINKED_CRATE_KINDS = ['binary', 'build-script', 'dylib', 'proc-macro'] as const;
export type LinkedCrateKind = (typeof LINKED_CRATE_KINDS)[number];
