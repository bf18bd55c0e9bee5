// flake.nix evaluated by Nix itself, offline: nixpkgs is replaced (--override-input) by a flake made
// of the real nixpkgs lib and the stub package set of stub-pkgs.nix, home-manager by its checkout.
// This checks the wiring of the outputs; building them needs a real nixpkgs (see docs/nix.md).
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { announceSkip, homeManager, nixCommand, nixpkgsLib, repoRoot, skipReason } from './nix-tools.js';

const SYSTEMS = ['x86_64-linux', 'aarch64-linux', 'aarch64-darwin'];

function stubNixpkgsFlake(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hoard-stub-nixpkgs-'));
  cpSync(join(nixpkgsLib!, 'lib'), join(dir, 'lib'), { recursive: true });
  cpSync(join(repoRoot, 'test/nix/stub-pkgs.nix'), join(dir, 'stub-pkgs.nix'));
  writeFileSync(
    join(dir, 'flake.nix'),
    `{
  outputs = _: let lib = import ./lib; in {
    inherit lib;
    legacyPackages = lib.genAttrs ${JSON.stringify(SYSTEMS).replaceAll(',', ' ')} (system: import ./stub-pkgs.nix { inherit lib system; });
  };
}
`,
  );
  return dir;
}

/** A copy of what flake.nix reads, so that Nix does not copy node_modules into its store. */
function flakeCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hoard-flake-'));
  for (const entry of [
    'flake.nix',
    'flake.lock',
    'package.json',
    'package-lock.json',
    'tsconfig.json',
    'nix',
    'modules',
    'bin',
    'src',
    'scripts/build.mjs',
  ]) {
    mkdirSync(dirname(join(dir, entry)), { recursive: true });
    cpSync(join(repoRoot, entry), join(dir, entry), { recursive: true });
  }
  return dir;
}

const reason = skipReason({ nixpkgsLib: true, homeManager: true });
announceSkip('flake evaluation tests', reason);

describe.skipIf(reason !== undefined)('flake.nix outputs', () => {
  const summary = (): Record<string, any> => {
    const flake = flakeCopy();
    const stub = stubNixpkgsFlake();
    const evalOutput = (attribute: string, apply: string): any =>
      JSON.parse(
        nixCommand(
          [
            'eval',
            '--json',
            '--offline',
            '--no-write-lock-file',
            '--override-input',
            'nixpkgs',
            `path:${stub}`,
            '--override-input',
            'home-manager',
            `path:${homeManager}`,
            `path:${flake}#${attribute}`,
            '--apply',
            apply,
          ],
          flake,
        ),
      );
    return {
      packages: evalOutput(
        'packages',
        `builtins.mapAttrs (_: set: {
        names = builtins.attrNames set;
        mainProgram = set.default.meta.mainProgram;
        defaultIsHoard = set.default == set.hoard;
      })`,
      ),
      npm: evalOutput(
        'packages.x86_64-linux.hoard',
        `p: {
        inherit (p) pname version postPatch;
        nodejs = p.nodejs.name;
        deps = { inherit (p.npmDeps) hash postPatch stubOf; nativeBuildInputs = map (d: d.name) p.npmDeps.nativeBuildInputs; };
      }`,
      ),
      hoardExe: evalOutput('packages.x86_64-linux.hoard', 'p: "${p}/bin/hoard"'),
      apps: evalOutput(
        'apps',
        'builtins.mapAttrs (_: builtins.mapAttrs (_: app: { inherit (app) type program; description = app.meta.description; }))',
      ),
      shell: evalOutput(
        'devShells.x86_64-linux.default',
        's: { inherit (s) RUSTC_WRAPPER CARGO_INCREMENTAL shellHook; packages = map (p: p.name) s.packages; }',
      ),
      homeModules: evalOutput('homeModules', 'm: builtins.mapAttrs (_: builtins.isFunction) m'),
      homeManagerModules: evalOutput('homeManagerModules', 'm: builtins.mapAttrs (_: builtins.isFunction) m'),
      overlayHasHoard: evalOutput('overlays', 'o: (o.default { callPackage = _: _: "called"; } { }) ? hoard'),
      formatters: evalOutput('formatter', 'builtins.attrNames'),
      checks: evalOutput('checks', 'builtins.mapAttrs (_: builtins.attrNames)'),
    };
  };
  const result = reason ? {} : summary();

  it('packages hoard for every system, with meta.mainProgram', () => {
    for (const system of SYSTEMS)
      expect(result.packages[system]).toEqual({
        names: ['default', 'hoard'],
        mainProgram: 'hoard',
        defaultIsHoard: true,
      });
  });

  it('builds with buildNpmPackage on nodejs_24, fetching npm deps with the committed hash and the same postPatch', () => {
    const record = JSON.parse(readFileSync(join(repoRoot, 'nix/npm-deps.json'), 'utf8'));
    const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
    expect(result.npm).toMatchObject({ pname: 'hoard', version, nodejs: 'node' });
    expect(result.npm.deps).toEqual({
      hash: record.npmDepsHash,
      postPatch: result.npm.postPatch,
      stubOf: 'fetchNpmDeps',
      nativeBuildInputs: ['node'],
    });
    expect(result.npm.postPatch).toContain('node nix/lockfile-resolved.mjs package-lock.json "$registry"');
  });

  it('has apps default and stats with descriptions; stats runs `hoard stats`', () => {
    for (const system of SYSTEMS) {
      expect(Object.keys(result.apps[system]).sort()).toEqual(['default', 'stats']);
      for (const app of Object.values<any>(result.apps[system])) {
        expect(app.type).toBe('app');
        expect(app.description).toMatch(/\w/);
      }
    }
    expect(result.apps['x86_64-linux'].default.program).toBe(result.hoardExe);
    const statsScript = readFileSync(result.apps['x86_64-linux'].stats.program, 'utf8');
    expect(statsScript).toBe(`#!/bin/sh\nexec ${result.hoardExe} stats "$@"`);
  });

  it('has a devShell whose RUSTC_WRAPPER is the packaged hoard', () => {
    expect(result.shell).toMatchObject({ RUSTC_WRAPPER: result.hoardExe, CARGO_INCREMENTAL: '0' });
    expect(result.shell.shellHook).toContain('export TMPDIR=');
    expect(result.shell.packages).toEqual(expect.arrayContaining(['node', 'cargo', 'rustc']));
  });

  it('has homeModules.default with homeManagerModules as its alias, an overlay, a formatter and checks', () => {
    expect(result.homeModules).toEqual({ default: true });
    expect(result.homeManagerModules).toEqual({ default: true });
    expect(result.overlayHasHoard).toBe(true);
    expect(result.formatters.sort()).toEqual([...SYSTEMS].sort());
    for (const system of SYSTEMS) expect(result.checks[system].sort()).toEqual(['devShell', 'home-module', 'package']);
  });
});
