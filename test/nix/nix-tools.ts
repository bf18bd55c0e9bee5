// How the Nix tests reach Nix: Debian's nix-bin (2.8) for parsing and offline evaluation, and the
// trees of nixpkgs.lib and home-manager, which are too big for the repository and are passed in
// by path (see docs/nix.md, "Testing the Nix files").
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export const nixInstantiate = spawnSync('nix-instantiate', ['--version'], { encoding: 'utf8' }).status === 0;

function tree(variable: string, marker: string): string | undefined {
  const path = process.env[variable];
  return path && existsSync(join(path, marker)) ? path : undefined;
}

/** A checkout of nix-community/nixpkgs.lib (the directory holding lib/). */
export const nixpkgsLib = tree('HOARD_NIXPKGS_LIB', 'lib/default.nix');
/** A checkout of nix-community/home-manager. */
export const homeManager = tree('HOARD_HOME_MANAGER', 'modules/lib/stdlib-extended.nix');

export function skipReason(needs: { nixpkgsLib?: boolean; homeManager?: boolean }): string | undefined {
  if (!nixInstantiate) return 'nix-instantiate is not installed (apt-get install nix-bin)';
  const missing = [
    needs.nixpkgsLib && !nixpkgsLib ? 'HOARD_NIXPKGS_LIB (a nixpkgs.lib checkout)' : undefined,
    needs.homeManager && !homeManager ? 'HOARD_HOME_MANAGER (a home-manager checkout)' : undefined,
  ].filter(Boolean);
  return missing.length
    ? `set ${missing.join(' and ')} to run these (.ci/run extracts them from ../shared/nix-trees)`
    : undefined;
}

/** Says once, on the test output, why a group of tests did not run; under CI=true, where .ci/run provides it all, fails instead. */
export function announceSkip(group: string, reason: string | undefined): void {
  if (!reason) return;
  if (process.env.CI === 'true') throw new Error(`${group} cannot run: ${reason}`);
  console.warn(`SKIPPED ${group}: ${reason}`);
}

// Nix 2.8 warns about a missing nixbld group on machines without a Nix daemon; that is noise here.
const quiet = (stderr: string) =>
  stderr
    .split('\n')
    .filter((line) => line && !line.includes("'nixbld'"))
    .join('\n');

export function nixEval(file: string, args: { str?: Record<string, string>; expr?: Record<string, string> }): unknown {
  const argv = ['--eval', '--strict', '--json', file];
  for (const [name, value] of Object.entries(args.str ?? {})) argv.push('--argstr', name, value);
  for (const [name, value] of Object.entries(args.expr ?? {})) argv.push('--arg', name, value);
  const result = spawnSync('nix-instantiate', argv, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`nix-instantiate ${argv.join(' ')} failed:\n${quiet(result.stderr)}`);
  return JSON.parse(result.stdout);
}

/**
 * Runs the `nix` command. `privateStore` gives it a store of its own under a temporary directory, for
 * commands that copy into a store on machines where /nix/store is not writable (CI need not be root).
 */
export function nixCommand(args: string[], cwd: string, options: { privateStore?: boolean } = {}): string {
  const store = options.privateStore ? ['--store', mkdtempSync(join(tmpdir(), 'hoard-nix-store-'))] : [];
  return execFileSync('nix', ['--extra-experimental-features', 'nix-command flakes', ...store, ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
