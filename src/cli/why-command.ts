import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../config/load.js';
import type { SavedHistory } from '../why/history.js';
import { formatLastBuild, formatUnits, lastBuild, unitsNamed } from '../why/report.js';
import { askServerData, CliError } from './client.js';

const EMPTY: SavedHistory = { format: 1, units: [], keys: {} };

/** The history of compiles: from the running server, else as the last one saved it. */
export async function whyHistory(env: NodeJS.ProcessEnv = process.env): Promise<SavedHistory> {
  const live = await askServerData('why-history', env).catch(() => undefined);
  if (live) return live;
  const { config } = loadConfig(env);
  try {
    const saved = JSON.parse(readFileSync(join(config.cache_dir, 'why-history.json'), 'utf8')) as SavedHistory;
    return Array.isArray(saved.units) ? saved : EMPTY;
  } catch {
    return EMPTY;
  }
}

const USAGE = "use 'hoard why [CRATE|PATH] [--worktree DIR] [--json]'";

/** `hoard why [CRATE|PATH] [--worktree W] [--json]`: why compiles missed. */
export async function whyCommand(args: string[]): Promise<number> {
  let json = false;
  let worktree: string | undefined;
  let query: string | undefined;
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index]!;
    if (arg === '--json') json = true;
    else if (arg === '--worktree' || arg.startsWith('--worktree=')) {
      const value = arg === '--worktree' ? args[(index += 1)] : arg.slice('--worktree='.length);
      if (!value) throw new CliError(`'--worktree' takes the worktree's directory; ${USAGE}.`);
      worktree = resolve(value);
    } else if (arg.startsWith('-')) throw new CliError(`'hoard why ${arg}' is not an option; ${USAGE}.`);
    else if (query === undefined) query = arg;
    else throw new CliError(`'hoard why' takes one crate or path, not '${query}' and '${arg}'; ${USAGE}.`);
  }
  const history = await whyHistory();
  const home = process.env.HOME;
  if (query === undefined) {
    const build = lastBuild(history, worktree);
    process.stdout.write(json ? `${JSON.stringify(build, null, 2)}\n` : formatLastBuild(build, home));
    return 0;
  }
  const units = unitsNamed(history, query, worktree);
  if (units.length === 0) {
    throw new CliError(
      `no compile of '${query}'${worktree ? ` in ${worktree}` : ''} is remembered; name a crate (typenum), a crate's root source or a C source as built, or run 'hoard why' for the last build.`,
    );
  }
  process.stdout.write(json ? `${JSON.stringify({ units }, null, 2)}\n` : formatUnits(units, home));
  return 0;
}
