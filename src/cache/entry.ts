import { z } from 'zod';

export const ENTRY_FORMAT = 1;

/** entry.json: what a compile produced. Output blobs sit beside it as 0, 1, 2, … */
export const entrySchema = z.object({
  format: z.literal(ENTRY_FORMAT),
  outputs: z.array(
    z.object({
      name: z.string().min(1).refine((name) => !name.includes('/') && name !== '..', 'a plain file name'),
      size: z.number().int().nonnegative(),
      digest: z.string().regex(/^[0-9a-f]{64}$/),
      mode: z.number().int(),
      templated: z.boolean(),
      /** fileIdentity() of the blob when it was committed: unchanged, it needs no hashing to verify. */
      identity: z.string().optional(),
    }),
  ),
  stdout: z.string(),
  stderr: z.string(),
  exitCode: z.number().int(),
  durationMs: z.number().nonnegative(),
  createdAt: z.string(),
  /** Where the entry was made (a worktree label), for "served by" statistics. */
  producer: z.string().optional(),
});

export type Entry = z.infer<typeof entrySchema>;
export type EntryOutput = Entry['outputs'][number];
