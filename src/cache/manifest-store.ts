import { mkdir } from 'node:fs/promises';
import { ParsedFiles } from '../fs/parsed-files.js';
import { writeAtomically } from '../fs/write-atomically.js';
import { join } from 'node:path';
import { z } from 'zod';
import type { DigestMemo } from '../hash/digest-memo.js';

const manifestSchema = z.object({
  format: z.literal(1),
  entries: z.array(
    z.object({
      files: z.array(z.tuple([z.string(), z.string().nullable()])),
      envDeps: z.array(z.tuple([z.string(), z.string().nullable()])),
      resultKey: z.string(),
    }),
  ),
});

export type ManifestEntry = z.infer<typeof manifestSchema>['entries'][number];

/** How the requesting build sees things: recorded paths resolved, env! values as recorded. */
export interface CurrentState {
  path(recorded: string): string;
  env(name: string): string | null;
}

/** How many source-file combinations are remembered per direct key (newest first). */
const MAX_ENTRIES_PER_MANIFEST = 16;

/**
 * For each direct key, the source files and env!-values earlier compiles read, with the result each
 * combination produced. A hit is the first combination that still matches what is on disk now.
 */
export class ManifestStore {
  private readonly writes = new Map<string, Promise<void>>();
  private readonly files = new ParsedFiles((text) => manifestSchema.parse(JSON.parse(text)).entries);

  constructor(
    private readonly dir: string,
    private readonly memo: DigestMemo,
  ) {}

  private path(directKey: string): string {
    return join(this.dir, directKey.slice(0, 2), `${directKey}.json`);
  }

  /** The remembered combinations; none when the manifest is missing or unreadable (it is rewritten on the next store). */
  private async read(directKey: string): Promise<ManifestEntry[]> {
    try {
      return (await this.files.read(this.path(directKey)))?.value ?? [];
    } catch {
      return [];
    }
  }

  /** The remembered combinations, newest first (what `hoard why` compares a miss with). */
  entries(directKey: string): Promise<ManifestEntry[]> {
    return this.read(directKey);
  }

  /** The result key of the first remembered combination that matches the files and environment now. */
  async find(directKey: string, now: CurrentState): Promise<string | undefined> {
    for (const entry of await this.read(directKey)) {
      if (!entry.envDeps.every(([name, value]) => now.env(name) === value)) continue;
      const paths = entry.files.map(([path]) => now.path(path));
      // What the memo knows at once decides most lookups: a hit, or a file known to have changed.
      const known = paths.map((path) => this.memo.digestNow(path));
      if (known.some((digest, index) => digest !== undefined && digest !== entry.files[index]![1])) continue;
      if (!known.includes(undefined)) return entry.resultKey;
      const digests = await Promise.all(paths.map((path) => this.memo.digest(path)));
      if (digests.every((digest, index) => (digest ?? null) === entry.files[index]![1])) return entry.resultKey;
    }
    return undefined;
  }

  async add(directKey: string, entry: ManifestEntry): Promise<void> {
    const previous = this.writes.get(directKey) ?? Promise.resolve();
    const next = previous.then(async () => {
      const entries = (await this.read(directKey)).filter((known) => known.resultKey !== entry.resultKey);
      entries.unshift(entry);
      const path = this.path(directKey);
      await mkdir(join(this.dir, directKey.slice(0, 2)), { recursive: true });
      const text = JSON.stringify({ format: 1, entries: entries.slice(0, MAX_ENTRIES_PER_MANIFEST) });
      await writeAtomically(path, text);
      this.files.remember(path, text);
    });
    const settled = next.catch(() => undefined);
    this.writes.set(directKey, settled);
    settled.then(() => {
      if (this.writes.get(directKey) === settled) this.writes.delete(directKey);
    });
    return next;
  }
}
