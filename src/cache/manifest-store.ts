import { mkdir, rm } from 'node:fs/promises';
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

/** A manifest's combinations from its JSON text (as stored locally and in a manifest object); throws when it is not one. */
export function parseManifest(text: string): ManifestEntry[] {
  return manifestSchema.parse(JSON.parse(text)).entries;
}

/** A manifest's JSON text. */
export function manifestText(entries: readonly ManifestEntry[]): string {
  return JSON.stringify({ format: 1, entries: entries.slice(0, MAX_ENTRIES_PER_MANIFEST) });
}

/** `incoming` before `known`, each result key once, newest first, as many as a manifest keeps. */
export function mergeManifests(incoming: readonly ManifestEntry[], known: readonly ManifestEntry[]): ManifestEntry[] {
  const seen = new Set<string>();
  const merged: ManifestEntry[] = [];
  for (const entry of [...incoming, ...known]) {
    if (seen.has(entry.resultKey)) continue;
    seen.add(entry.resultKey);
    merged.push(entry);
  }
  return merged.slice(0, MAX_ENTRIES_PER_MANIFEST);
}

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
  private readonly files = new ParsedFiles(parseManifest);

  constructor(
    private readonly dir: string,
    private readonly memo: DigestMemo,
  ) {}

  private path(directKey: string): string {
    return join(this.dir, directKey.slice(0, 2), `${directKey}.json`);
  }

  /** The remembered combinations; none when the manifest is missing or unreadable (it is rewritten on the next store). */
  async read(directKey: string): Promise<ManifestEntry[]> {
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
    return this.findIn(await this.read(directKey), now);
  }

  /** The result key of the first of these combinations (a remote's, not yet merged) that matches now. */
  async findIn(entries: readonly ManifestEntry[], now: CurrentState): Promise<string | undefined> {
    for (const entry of entries) {
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

  /** Puts a combination first (replacing an older one with the same result key). */
  add(directKey: string, entry: ManifestEntry): Promise<void> {
    return this.merge(directKey, [entry]);
  }

  /** Puts combinations learnt elsewhere (a remote's manifest, a new compile) first, each result key once. */
  merge(directKey: string, incoming: readonly ManifestEntry[]): Promise<void> {
    const previous = this.writes.get(directKey) ?? Promise.resolve();
    const next = previous.then(async () => {
      const entries = mergeManifests(incoming, await this.read(directKey));
      const path = this.path(directKey);
      await mkdir(join(this.dir, directKey.slice(0, 2)), { recursive: true });
      const text = manifestText(entries);
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

  /** Forgets a direct key's manifest. */
  async remove(directKey: string): Promise<void> {
    await (this.writes.get(directKey) ?? Promise.resolve());
    await rm(this.path(directKey), { force: true });
  }
}
