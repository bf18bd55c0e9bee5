import { createHash } from 'node:crypto';
import { z } from 'zod';

/** 3: one BLAKE3 digest per output, for keys and for the check of every restored copy (2 had a sha256 beside it). */
export const ENTRY_FORMAT = 3;

const hex256 = z.string().regex(/^[0-9a-f]{64}$/);

/** entry.json: what a compile produced. Output blobs sit beside it as 0, 1, 2, … */
export const entrySchema = z.object({
  format: z.literal(ENTRY_FORMAT),
  outputs: z.array(
    z.object({
      name: z
        .string()
        .min(1)
        .refine((name) => !name.includes('/') && name !== '..' && name !== '.', 'a plain file name'),
      size: z.number().int().nonnegative(),
      /**
       * BLAKE3 of the bytes, as keys digest files (digestFile): every restored copy is checked against it
       * as it is written, and it is told to the digest memo for that copy.
       */
      digest: hex256,
      mode: z.number().int().min(0).max(0o777),
      templated: z.boolean(),
      /** fileIdentity() of the blob when it was committed (local disk only; not sealed, not sent to remotes). */
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
  /** sealOf(key, entry): covers everything a hit replays, and the key the entry was stored under. */
  seal: hex256,
});

export type Entry = z.infer<typeof entrySchema>;
export type EntryOutput = Entry['outputs'][number];

/**
 * The seal: sha256 of the key and everything a hit replays (output names, sizes, digests, modes,
 * whether templated; stdout, stderr, exit status). A flipped exit status, a changed character of
 * stderr, a mode or a renamed output, or an entry moved under another key, no longer matches it.
 */
export function sealOf(key: string, entry: Omit<Entry, 'seal'>): string {
  const sealed = [
    'hoard-entry-seal-2',
    key,
    entry.outputs.map((output) => [output.name, output.size, output.digest, output.mode, output.templated]),
    entry.stdout,
    entry.stderr,
    entry.exitCode,
  ];
  return createHash('sha256').update(JSON.stringify(sealed)).digest('hex');
}

/** Why an entry read under `key` must not be replayed, or undefined when it may. */
export function refusal(key: string, entry: Entry): string | undefined {
  if (sealOf(key, entry) !== entry.seal)
    return 'its seal does not match what it holds (changed after it was stored, or stored under another key)';
  if (entry.exitCode !== 0) return `it records exit status ${entry.exitCode}; only successful compiles are cached`;
  const names = new Set(entry.outputs.map((output) => output.name));
  if (names.size !== entry.outputs.length) return 'it names an output twice';
  return undefined;
}
