/**
 * Outputs that name directories of the build (dep-info, cargo's JSON artifact notices) are stored with
 * placeholders and written back with the directories of the build being served, so an entry made in one
 * target directory, or one worktree, restores correctly into another.
 */
export interface BuildPlaces {
  /** The compile's --out-dir. */
  outDir: string;
  /** The base directory stripped from the key (a worktree root), when there is one. */
  baseDir?: string;
  /** Outputs restored outside the out-dir, by their name in the entry: a C dependency file elsewhere (`-MF .deps/x.Tpo`). */
  elsewhere?: Readonly<Record<string, string>>;
}

const TOKENS = [
  { place: 'outDir', raw: '@@HOARD_OUT_DIR@@', json: '@@HOARD_OUT_DIR_JSON@@' },
  { place: 'baseDir', raw: '@@HOARD_BASE_DIR@@', json: '@@HOARD_BASE_DIR_JSON@@' },
] as const;

function jsonEscaped(path: string): string {
  return JSON.stringify(path).slice(1, -1);
}

/** Replaces the places with tokens, the out-dir first since it usually lies inside the base dir. */
export function toTemplate(text: string, places: BuildPlaces): string {
  let result = text;
  for (const { place, raw, json } of TOKENS) {
    const path = places[place];
    if (!path) continue;
    const escaped = jsonEscaped(path);
    if (escaped !== path) result = result.split(escaped).join(json);
    result = result.split(path).join(raw);
  }
  return result;
}

export function fromTemplate(text: string, places: BuildPlaces): string {
  let result = text;
  for (const { place, raw, json } of TOKENS) {
    const path = places[place];
    if (path === undefined) continue;
    result = result.split(json).join(jsonEscaped(path)).split(raw).join(path);
  }
  return result;
}

export function hasTemplate(text: string): boolean {
  return text.includes('@@HOARD_');
}

/**
 * Whether every occurrence of each place in the text ends where a path component ends: otherwise a
 * longer name sharing the prefix (`/w/a` in `/w/abc`) would be rewritten too.
 */
export function placesEndWherePathsEnd(text: string, places: BuildPlaces): boolean {
  for (const path of [places.outDir, places.baseDir]) {
    if (!path) continue;
    for (let at = text.indexOf(path); at !== -1; at = text.indexOf(path, at + 1)) {
      const next = text[at + path.length];
      if (next !== undefined && !/[/\s:=]/.test(next)) return false;
    }
  }
  return true;
}
