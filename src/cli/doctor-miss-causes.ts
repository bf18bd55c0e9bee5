import { describeDifference, type Difference, type MissCause } from '../why/differences.js';
import type { SavedHistory } from '../why/history.js';
import { MISS_CAUSE_TITLES } from '../stats/format.js';
import type { Check, DoctorFacts } from './doctor-checks.js';

/*
 * `hoard doctor`: the top causes of recent misses (from what `hoard why` keeps), each with what to do.
 * A value that goes back and forth between builds (a flag in the shell's RUSTFLAGS and not in the
 * IDE's) makes every crate miss each time the other one builds: that is a warning, not news.
 */

/** How many of the newest misses count as recent. */
const RECENT_MISSES = 500;
const SHOWN_CAUSES = 3;

const ADVICE: Record<MissCause, string> = {
  'first-build': 'the first compile of each crate: expected once per crate and setting',
  sources: 'your edits: expected',
  dependencies:
    'a dependency was compiled anew, which makes everything above it miss: see what changed in the dependency (hoard why CRATE)',
  arguments:
    'the compiler flags changed (RUSTFLAGS, profile settings): give every build the same flags, e.g. in [build] rustflags of .cargo/config.toml instead of the shell',
  features:
    "the crate's features changed between builds (cargo build and cargo test, or an IDE with --all-features): build with the same features, or give the IDE its own target directory",
  environment: 'an environment variable changed: set it the same way in every shell and in the IDE',
  toolchain:
    'another compiler built: a rust-toolchain.toml, a rustup override or RUSTC set in one place only; build with one toolchain, or expect each to fill the cache once',
  linker: 'the linker or a system library changed (a package upgrade): expected once after it',
  location:
    "the same crates built in another checkout: 'hoard config set basedirs auto' (or hoard init) keys them relative to their worktree",
  evicted:
    "no input changed but the entry was gone: the cache is too small for what you build ('hoard config set cache_size 20G')",
};

interface RecentMiss {
  cause: MissCause;
  differences: Difference[];
  baseDirsWouldHit: boolean;
}

function recentMisses(history: SavedHistory): RecentMiss[] {
  return history.units
    .flatMap((unit) => unit.records)
    .filter((record) => record.outcome === 'miss' && record.explanation)
    .sort((a, b) => b.at - a.at)
    .slice(0, RECENT_MISSES)
    .map((record) => ({
      cause: record.explanation!.cause,
      differences: record.explanation!.differences,
      baseDirsWouldHit: record.explanation!.baseDirsWouldHit === true,
    }));
}

/** An argument or variable that was added in some misses and removed (or set back) in others: two builds take turns. */
function flipFlopping(misses: readonly RecentMiss[]): Difference | undefined {
  const seen = new Map<string, Set<string>>();
  for (const miss of misses) {
    for (const difference of miss.differences) {
      if (!['argument', 'feature', 'env', 'env-dep'].includes(difference.input)) continue;
      const key = `${difference.input}\0${difference.name}`;
      const directions = seen.get(key) ?? new Set<string>();
      directions.add(`${difference.old}\0${difference.new}`);
      seen.set(key, directions);
      if ([...directions].some((direction) => directions.has(direction.split('\0').reverse().join('\0'))))
        return difference;
    }
  }
  return undefined;
}

export function missCauseChecks(facts: Pick<DoctorFacts, 'config'> & { whyHistory?: SavedHistory }): Check[] {
  const misses = facts.whyHistory ? recentMisses(facts.whyHistory) : [];
  if (misses.length === 0) return [];
  const counts = new Map<MissCause, number>();
  for (const miss of misses) counts.set(miss.cause, (counts.get(miss.cause) ?? 0) + 1);
  const checks: Check[] = [];
  const flipping = flipFlopping(misses);
  if (flipping) {
    checks.push({
      id: 'misses',
      status: 'warn',
      message: `builds take turns with different settings, so crates miss each time the other one builds: ${describeDifference(flipping, 50)}. Give the shell and the IDE the same RUSTFLAGS, features and environment (or the IDE its own target directory).`,
    });
  }
  const wouldHit = misses.filter((miss) => miss.baseDirsWouldHit).length;
  const baseDirsOff = (facts.config?.config.basedirs.length ?? 0) === 0;
  for (const [cause, count] of [...counts].sort(([, a], [, b]) => b - a).slice(0, SHOWN_CAUSES)) {
    const costly = (cause === 'location' && baseDirsOff && wouldHit > 0) || cause === 'evicted';
    const extra =
      cause === 'location' && wouldHit > 0 ? ` ${wouldHit} of them would have hit with base directories.` : '';
    checks.push({
      id: 'misses',
      status: costly ? 'warn' : 'info',
      message: `${count} of the last ${misses.length} misses: ${MISS_CAUSE_TITLES[cause] ?? cause} — ${ADVICE[cause]}.${extra}`,
    });
  }
  return checks;
}
