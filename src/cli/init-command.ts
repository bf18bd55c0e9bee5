import { makeDirectorySync } from '../fs/make-directory.js';
import { existsSync, lstatSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'smol-toml';
import { EditError, setTableKey, setTopLevelKey } from '../config/edit-file.js';
import { configFilePath, parseConfigText } from '../config/load.js';
import { parseSize } from '../config/units.js';
import { writeAtomically } from '../fs/write-atomically.js';
import { homeConfigFile, isHoard, onPath } from './cargo-settings.js';
import { CliError } from './client.js';
import { initCc } from './init-cc.js';

type Env = Record<string, string | undefined>;

/** One line of the plan: a change to make, a setting already right, or one left alone on purpose. */
interface Step {
  kind: 'change' | 'ok' | 'conflict' | 'note';
  file?: string;
  setting?: string;
  why: string;
}

interface Options {
  check: boolean;
  size?: string;
  keepIncremental: boolean;
  replaceWrapper: boolean;
  baseDirs: boolean;
}

function parseOptions(args: string[]): Options {
  const options: Options = { check: false, keepIncremental: false, replaceWrapper: false, baseDirs: true };
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index]!;
    if (arg === '--check') options.check = true;
    else if (arg === '--keep-incremental') options.keepIncremental = true;
    else if (arg === '--replace-wrapper') options.replaceWrapper = true;
    else if (arg === '--no-basedirs') options.baseDirs = false;
    else if (arg === '--size' || arg.startsWith('--size=')) {
      const size = arg === '--size' ? args[++index] : arg.slice('--size='.length);
      if (size === undefined || parseSize(size) === undefined)
        throw new CliError(`--size takes a size such as 20G or 500M, not ${JSON.stringify(size ?? '')}.`);
      options.size = size;
    } else
      throw new CliError(
        `'hoard init ${arg}' is not an option; use 'hoard init [--check] [--size 20G] [--keep-incremental] [--replace-wrapper] [--no-basedirs]'.`,
      );
  }
  return options;
}

/**
 * "hoard" when an installed link on PATH (npm link, a Nix profile) leads to this hoard; else this one's
 * full path, which also works in shells whose PATH lacks it (a PATH export of the checkout's bin/ is
 * usually one shell's).
 */
export function hoardCommand(env: Env): { command: string; note?: string } {
  const ours = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'hoard');
  const found = onPath('hoard', env);
  try {
    if (found && resolve(found) !== ours && realpathSync(found) === realpathSync(ours)) return { command: 'hoard' };
  } catch {
    // fall through to the full path
  }
  if (found && resolve(found) === ours)
    return { command: ours, note: 'the full path, so that shells without this PATH find it too' };
  return {
    command: ours,
    note: `hoard is not on PATH${found ? ` (the one there is ${found})` : ''}: the full path of this hoard is used`,
  };
}

function readEditable(file: string, owner: string): string | undefined {
  if (!existsSync(file)) return undefined;
  if (lstatSync(file).isSymbolicLink()) {
    throw new CliError(
      `${file} is a link (managed elsewhere, e.g. by home-manager: ${owner}); make the change there, then run 'hoard doctor'.`,
    );
  }
  return readFileSync(file, 'utf8');
}

/** An in-place edit of cargo's file, or a one-line refusal that says what to add by hand. */
function withBuildKey(file: string, text: string, key: string, value: string | boolean): string {
  try {
    return setTableKey(text, 'build', key, value).text;
  } catch (error) {
    if (!(error instanceof EditError)) throw error;
    throw new CliError(
      `${file}: ${error.message}; add '${key} = ${JSON.stringify(value)}' under [build] yourself, then run 'hoard init' again.`,
    );
  }
}

const BASEDIRS_SETTING = 'basedirs = ["auto"]';
const BASEDIRS_WHY =
  'your own crates hit in every worktree and checkout: paths under a worktree are keyed relative to it and compiled with --remap-path-prefix=<worktree>=. (debuggers then find sources from the worktree root); --no-basedirs, or basedirs = [] in this file, leaves it off';

function short(path: string, env: Env): string {
  return env.HOME && path.startsWith(`${env.HOME}/`) ? `~${path.slice(env.HOME.length)}` : path;
}

/**
 * `hoard init [--check]`: cargo runs rustc through hoard (`[build] rustc-wrapper` in CARGO_HOME's
 * config), incremental compilation is off so that workspace crates can be cached, and a hoard config
 * file holds the size limit. Every change is printed; a second run changes nothing.
 */
export async function initCommand(args: string[], env: Env = process.env): Promise<number> {
  if (args.includes('--cc')) return initCc(args, env, hoardCommand(env).command);
  const options = parseOptions(args);
  const steps: Step[] = [];
  const writes = new Map<string, string>();

  const cargoFile = homeConfigFile(env);
  let cargoText = readEditable(cargoFile, 'programs.cargo.settings.build') ?? '';
  let build: Record<string, unknown>;
  try {
    build = ((parse(cargoText) as Record<string, unknown>).build ?? {}) as Record<string, unknown>;
  } catch (error) {
    throw new CliError(
      `${cargoFile} is not valid TOML (${(error as Error).message.split('\n')[0]}); fix it, then run 'hoard init' again.`,
    );
  }
  const { command, note } = hoardCommand(env);
  const wrapper = build['rustc-wrapper'];
  const wrapperSetting = `[build] rustc-wrapper = ${JSON.stringify(command)}`;
  if (typeof wrapper === 'string' && isHoard({ value: wrapper, from: cargoFile, file: cargoFile }, env)) {
    steps.push({
      kind: 'ok',
      file: cargoFile,
      setting: `[build] rustc-wrapper = ${JSON.stringify(wrapper)}`,
      why: 'cargo runs rustc through hoard',
    });
  } else if (wrapper !== undefined && !options.replaceWrapper) {
    steps.push({
      kind: 'conflict',
      file: cargoFile,
      setting: `[build] rustc-wrapper = ${JSON.stringify(wrapper)}`,
      why: "another wrapper, left as it is; 'hoard init --replace-wrapper' replaces it with hoard",
    });
  } else {
    cargoText = withBuildKey(cargoFile, cargoText, 'rustc-wrapper', command);
    steps.push({
      kind: 'change',
      file: cargoFile,
      setting: wrapperSetting,
      why: `cargo runs every rustc through hoard${wrapper !== undefined ? ` (was ${JSON.stringify(wrapper)})` : ''}${note ? `; ${note}` : ''}`,
    });
  }

  if (!options.keepIncremental) {
    const incremental = build.incremental;
    if (incremental === false) {
      steps.push({
        kind: 'ok',
        file: cargoFile,
        setting: '[build] incremental = false',
        why: 'your own crates are cacheable',
      });
    } else if (incremental === true) {
      steps.push({
        kind: 'conflict',
        file: cargoFile,
        setting: '[build] incremental = true',
        why: 'left as you set it, though incremental compiles of your own crates are not cached (--keep-incremental accepts it)',
      });
    } else {
      cargoText = withBuildKey(cargoFile, cargoText, 'incremental', false);
      steps.push({
        kind: 'change',
        file: cargoFile,
        setting: '[build] incremental = false',
        why: 'what CARGO_INCREMENTAL=0 does: incremental compiles cannot be cached (--keep-incremental leaves it on)',
      });
    }
  }
  if (steps.some((step) => step.kind === 'change' && step.file === cargoFile)) writes.set(cargoFile, cargoText);

  const hoardFile = configFilePath(env);
  const hoardText = readEditable(hoardFile, 'the hoard module');
  const size = options.size ?? '10G';
  if (hoardText === undefined) {
    const baseDirsLine = options.baseDirs ? `${BASEDIRS_SETTING}\n` : '';
    writes.set(
      hoardFile,
      `# hoard configuration: every key, its environment variable and default are in docs/configuration.md\ncache_size = ${JSON.stringify(size)}\n${baseDirsLine}`,
    );
    steps.push({
      kind: 'change',
      file: hoardFile,
      setting: `cache_size = ${JSON.stringify(size)}`,
      why: 'new file: the size limit every server reads, whichever shell starts it',
    });
    if (options.baseDirs) steps.push({ kind: 'change', file: hoardFile, setting: BASEDIRS_SETTING, why: BASEDIRS_WHY });
  } else {
    const current = parseConfigText(hoardText, hoardFile).cache_size;
    const currentBytes = typeof current === 'string' || typeof current === 'number' ? parseSize(current) : undefined;
    if (options.size && currentBytes !== parseSize(options.size)) {
      writes.set(hoardFile, setTopLevelKey(hoardText, 'cache_size', options.size).text);
      steps.push({
        kind: 'change',
        file: hoardFile,
        setting: `cache_size = ${JSON.stringify(options.size)}`,
        why: current === undefined ? 'added' : `was ${JSON.stringify(current)}`,
      });
    } else {
      steps.push({
        kind: 'ok',
        file: hoardFile,
        why:
          current === undefined
            ? 'exists (cache_size: the default, 10G)'
            : `exists, cache_size = ${JSON.stringify(current)}`,
      });
    }
    const baseDirs = parseConfigText(hoardText, hoardFile).basedirs;
    if (baseDirs !== undefined) {
      steps.push({
        kind: 'ok',
        file: hoardFile,
        setting: `basedirs = ${JSON.stringify(baseDirs)}`,
        why: 'as you set it',
      });
    } else if (options.baseDirs) {
      writes.set(hoardFile, setTopLevelKey(writes.get(hoardFile) ?? hoardText, 'basedirs', ['auto']).text);
      steps.push({ kind: 'change', file: hoardFile, setting: BASEDIRS_SETTING, why: BASEDIRS_WHY });
    }
  }

  for (const variable of ['RUSTC_WRAPPER', 'CARGO_BUILD_RUSTC_WRAPPER']) {
    const value = env[variable];
    if (value !== undefined && !isHoard({ value, from: variable }, env)) {
      steps.push({
        kind: 'note',
        why: `${variable}=${JSON.stringify(value)} in this shell beats the config file: unset it, or set it to hoard`,
      });
    }
  }
  if (env.CARGO_INCREMENTAL === '1')
    steps.push({
      kind: 'note',
      why: 'CARGO_INCREMENTAL=1 in this shell beats [build] incremental: unset it to cache your own crates',
    });

  const changes = steps.filter((step) => step.kind === 'change');
  if (!options.check) {
    for (const [file, text] of writes) {
      makeDirectorySync(dirname(file));
      await writeAtomically(file, text, existsSync(file) ? { mode: statSync(file).mode & 0o777 } : {});
    }
  }
  const label: Record<Step['kind'], string> = {
    change: options.check ? 'would set' : 'set',
    ok: 'ok',
    conflict: 'kept',
    note: 'note',
  };
  const lines = steps.map((step) => {
    const where = step.file ? `${short(step.file, env)}${step.setting ? `: ${step.setting}` : ''}` : '';
    return `${label[step.kind].padEnd(9)} ${where}${where ? ' — ' : ''}${step.why}`;
  });
  const conflicts = steps.some((step) => step.kind === 'conflict');
  if (options.check)
    lines.push(
      changes.length === 0 ? 'Nothing to change.' : `${changes.length} change(s) pending; 'hoard init' makes them.`,
    );
  else if (conflicts)
    lines.push(
      `${changes.length === 0 ? 'Nothing changed' : 'Changes made'}; the settings marked 'kept' are yours to change (see each line).`,
    );
  else if (changes.length === 0) lines.push('Nothing to change.');
  else
    lines.push(
      "Done: the next cargo build goes through hoard ('hoard doctor' checks the setup, 'hoard stats' shows the hits).",
    );
  process.stdout.write(`${lines.join('\n')}\n`);
  return (options.check && changes.length > 0) || conflicts ? 1 : 0;
}
