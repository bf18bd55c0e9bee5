import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { homedir } from 'node:os';
import { writeAtomically } from '../fs/write-atomically.js';
import { isHoard } from './cargo-settings.js';
import { CliError } from './client.js';

type Env = Record<string, string | undefined>;

/*
 * `hoard init --cc`: the lines that send make, autotools, Meson and CMake builds through hoard. It
 * prints them; --write-rc puts them in the shell's start-up file, --write-envrc in ./.envrc (direnv),
 * as one marked block that a second run replaces instead of adding again.
 */

const BEGIN = '# >>> hoard: C and C++ through the cache (hoard init --cc) >>>';
const END = '# <<< hoard <<<';

/** The compiler a variable names now, unless it already goes through hoard. */
function compilerOf(env: Env, variable: 'CC' | 'CXX', fallback: string): string {
  const value = env[variable]?.trim();
  if (!value) return fallback;
  const words = value.split(/\s+/);
  return isHoard({ value: words[0]!, from: variable }, env) ? (words[1] ?? fallback) : value;
}

/** The shell lines, for a POSIX shell (bash, zsh, direnv's .envrc); `hoard` is how the shell finds hoard. */
export function ccLines(hoard: string, env: Env): string[] {
  const quoted = hoard.includes(' ') ? `'${hoard}'` : hoard;
  return [
    BEGIN,
    '# make, autotools (./configure), Meson, the cc crate, and CMake when it creates a build directory',
    '# compile with $CC and $CXX. (Not also a CMake launcher: hoard would then be asked to run itself.)',
    `export CC="${quoted} ${compilerOf(env, 'CC', 'cc')}"`,
    `export CXX="${quoted} ${compilerOf(env, 'CXX', 'c++')}"`,
    `# An existing CMake build directory: cmake -DCMAKE_C_COMPILER_LAUNCHER=${quoted} -DCMAKE_CXX_COMPILER_LAUNCHER=${quoted} .`,
    END,
  ];
}

/** The shell's start-up file: ~/.zshrc for zsh, else ~/.bashrc. */
export function shellRcFile(env: Env): string {
  const home = env.HOME || homedir();
  return join(home, basename(env.SHELL ?? '') === 'zsh' ? '.zshrc' : '.bashrc');
}

/** `text` with the block put in (replacing an earlier one, else appended). */
export function withBlock(text: string, lines: readonly string[]): string {
  const block = lines.join('\n');
  const start = text.indexOf(BEGIN);
  const end = start >= 0 ? text.indexOf(END, start) : -1;
  if (start >= 0 && end >= 0) return text.slice(0, start) + block + text.slice(end + END.length);
  return `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${text === '' ? '' : '\n'}${block}\n`;
}

export async function initCc(args: string[], env: Env, hoard: string, cwd = process.cwd()): Promise<number> {
  const unknown = args.find((arg) => !['--cc', '--write-rc', '--write-envrc'].includes(arg));
  if (unknown)
    throw new CliError(
      `'hoard init --cc ${unknown}' is not an option; use 'hoard init --cc [--write-rc | --write-envrc]'.`,
    );
  if (args.includes('--write-rc') && args.includes('--write-envrc'))
    throw new CliError('choose one of --write-rc and --write-envrc.');
  const lines = ccLines(hoard, env);
  const target = args.includes('--write-rc')
    ? shellRcFile(env)
    : args.includes('--write-envrc')
      ? resolve(cwd, '.envrc')
      : undefined;
  if (!target) {
    process.stdout.write(
      `${lines.join('\n')}\n# 'hoard init --cc --write-rc' adds these to ${shellRcFile(env)}, '--write-envrc' to ./.envrc (direnv).\n`,
    );
    return 0;
  }
  const before = existsSync(target) ? readFileSync(target, 'utf8') : '';
  const after = withBlock(before, lines);
  if (after === before) {
    process.stdout.write(`ok        ${target} already has these lines.\n`);
    return 0;
  }
  await writeAtomically(target, after);
  const next = target.endsWith('.envrc')
    ? "'direnv allow' loads them"
    : `new shells have them; 'source ${target}' for this one`;
  process.stdout.write(`set       ${target}: CC and CXX go through hoard (${next}).\n`);
  return 0;
}
