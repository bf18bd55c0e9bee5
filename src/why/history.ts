import type { Difference, MissCause, Section } from './differences.js';

/*
 * The latest compiles of each unit (a crate or an object at one place), with the key inputs of each
 * and, for a miss, what differed from the nearest earlier one. Bounded: a few compiles per unit, the
 * least recently compiled units dropped, key inputs kept once per direct key. Pure data: no IO.
 */

export const MAX_RECORDS_PER_UNIT = 8;
export const MAX_UNITS = 1000;
/**
 * The server does not see cargo's invocations, only compiles: a pause this long with no compile
 * starting or finishing starts a new build.
 */
export const BUILD_GAP_MS = 3000;

/** What a miss is explained by. */
export interface Explanation {
  cause: MissCause;
  /** Most telling first. */
  differences: Difference[];
  /** Dependencies whose digest changed too, when the crate's own inputs explain the miss: they were compiled anew for the same reason. */
  dependencies?: Difference[];
  /** The compile it was compared with: when, where, and whether that one hit. */
  comparedWith?: { at: number; worktreeRoot: string; outcome: 'hit' | 'miss' };
  /** Every difference is the checkout's path, and this compile had no base directory: `basedirs` would have made it a hit. */
  baseDirsWouldHit?: boolean;
}

export interface CompileRecord {
  at: number;
  /** Which build it was part of: compiles with no pause of BUILD_GAP_MS between them are one build. */
  build: number;
  outcome: 'hit' | 'miss';
  worktree: { id: string; root: string };
  /** Direct key: its inputs are in UnitHistory.keys. */
  direct: string;
  /** The entry it hit, or stored. */
  result?: string;
  /** How the compiler is named to people (path, version). */
  compiler?: string;
  /** The compile's base directory, when it had one. */
  baseDir?: string;
  explanation?: Explanation;
}

export interface UnitRecords {
  unit: string;
  /** Crate name, or the C source's file name. */
  name: string;
  kind: string;
  /** The crate's root source or the C source, relative to its worktree when inside one. */
  path: string;
  /** Newest last. */
  records: CompileRecord[];
}

export interface SavedHistory {
  format: 1;
  units: UnitRecords[];
  keys: Record<string, Section[]>;
}

export interface UnitDescription {
  unit: string;
  name: string;
  kind: string;
  path: string;
}

export class UnitHistory {
  /** Insertion order is recency: a compile moves its unit to the end. */
  private readonly units = new Map<string, UnitRecords>();
  private readonly keys = new Map<string, Section[]>();

  constructor(saved?: unknown) {
    if (saved) this.load(saved);
  }

  get unitCount(): number {
    return this.units.size;
  }

  get keyCount(): number {
    return this.keys.size;
  }

  records(unit: string): readonly CompileRecord[] {
    return this.units.get(unit)?.records ?? [];
  }

  sections(direct: string): readonly Section[] | undefined {
    return this.keys.get(direct);
  }

  /** Adds a compile; returns the record, which stays live (a store fills in its result later). */
  add(description: UnitDescription, record: CompileRecord, sections: readonly Section[]): CompileRecord {
    let unit = this.units.get(description.unit);
    if (unit) this.units.delete(description.unit);
    else
      unit = {
        unit: description.unit,
        name: description.name,
        kind: description.kind,
        path: description.path,
        records: [],
      };
    Object.assign(unit, { name: description.name, kind: description.kind, path: description.path });
    this.units.set(description.unit, unit);
    if (!this.keys.has(record.direct)) this.keys.set(record.direct, [...sections]);
    unit.records.push(record);
    const dropped = unit.records.splice(0, Math.max(0, unit.records.length - MAX_RECORDS_PER_UNIT));
    while (this.units.size > MAX_UNITS) {
      const oldest = this.units.keys().next().value!;
      dropped.push(...this.units.get(oldest)!.records);
      this.units.delete(oldest);
    }
    if (dropped.length > 0) this.forgetUnused(dropped);
    return record;
  }

  /** The number of the newest build remembered. */
  latestBuild(): number {
    let latest = 0;
    for (const unit of this.units.values()) for (const record of unit.records) latest = Math.max(latest, record.build);
    return latest;
  }

  /** Every unit, least recently compiled first. */
  all(): readonly UnitRecords[] {
    return [...this.units.values()];
  }

  private forgetUnused(dropped: readonly CompileRecord[]): void {
    const candidates = new Set(dropped.map((record) => record.direct));
    for (const unit of this.units.values()) for (const record of unit.records) candidates.delete(record.direct);
    for (const direct of candidates) this.keys.delete(direct);
  }

  toJSON(): SavedHistory {
    return { format: 1, units: this.all() as UnitRecords[], keys: Object.fromEntries(this.keys) };
  }

  /** Reads what an earlier server saved, keeping what has the expected shape. */
  private load(saved: unknown): void {
    if (typeof saved !== 'object' || saved === null) return;
    const { units, keys } = saved as Partial<SavedHistory>;
    if (!Array.isArray(units) || typeof keys !== 'object' || keys === null) return;
    for (const [direct, sections] of Object.entries(keys)) {
      if (
        Array.isArray(sections) &&
        sections.every(
          (section) =>
            Array.isArray(section) && section.length === 2 && section.every((part) => typeof part === 'string'),
        )
      ) {
        this.keys.set(direct, sections as Section[]);
      }
    }
    for (const unit of units.slice(-MAX_UNITS)) {
      if (typeof unit?.unit !== 'string' || !Array.isArray(unit.records)) continue;
      const records = unit.records.filter(
        (record) =>
          typeof record?.at === 'number' &&
          typeof record.build === 'number' &&
          typeof record.direct === 'string' &&
          this.keys.has(record.direct) &&
          typeof record.worktree?.root === 'string',
      );
      this.units.set(unit.unit, {
        unit: unit.unit,
        name: String(unit.name ?? ''),
        kind: String(unit.kind ?? ''),
        path: String(unit.path ?? ''),
        records: records.slice(-MAX_RECORDS_PER_UNIT),
      });
    }
  }
}
