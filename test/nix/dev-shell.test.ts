// The devShell (nix/dev-shell.nix) evaluated with the real nixpkgs lib and the stub package set of
// stub-pkgs.nix, whose mkShell returns its arguments: what `nix develop` would export. Its shellHook
// and .envrc are then run in bash, as nix develop and direnv run them.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'smol-toml';
import { loadConfig } from '../../src/config/load.js';
import { announceSkip, nixEval, nixpkgsLib, repoRoot, skipReason } from './nix-tools.js';

interface Shell {
  hoardExe: string;
  environment: Record<string, string>;
  shellHook: string;
  packages: string[];
}

function evaluate(args = '{ }'): Shell {
  return nixEval(join(repoRoot, 'test/nix/dev-shell-harness.nix'), {
    str: { nixpkgsLib: nixpkgsLib! },
    expr: { args },
  }) as Shell;
}

/** A home with a `hoard` on PATH that records being run: the hook must never touch the server. */
function sandboxHome() {
  const home = mkdtempSync(join(tmpdir(), 'hoard-devshell-'));
  const bin = join(home, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'hoard'), `#!/bin/sh\necho "$@" >> "${home}/hoard-was-run"\n`);
  chmodSync(join(bin, 'hoard'), 0o755);
  const env = { HOME: home, PATH: `${bin}:/usr/bin:/bin`, TMPDIR: join(home, 'throwaway-nix-shell-tmp') };
  return { home, env };
}

function runBash(script: string, env: Record<string, string>, cwd = repoRoot) {
  const result = spawnSync('bash', ['-euc', `${script}\necho "TMPDIR=$TMPDIR"`], {
    env,
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  expect(
    result.stderr
      .split('\n')
      .filter((line) => line && !line.startsWith('hoard: wrote') && !line.startsWith('hoard: set basedirs'))
      .join('\n'),
  ).toBe('');
  expect(result.status).toBe(0);
  return { tmpdir: /TMPDIR=(.*)/.exec(result.stdout)![1]!, stderr: result.stderr };
}

const reason = skipReason({ nixpkgsLib: true });
announceSkip('devShell tests', reason);

describe.skipIf(reason !== undefined)('the devShell', () => {
  it('wraps rustc with the packaged hoard and turns incremental builds off, and sets no cache size in the environment', () => {
    const shell = evaluate('{ cacheSize = "20G"; }');
    expect(shell.environment.RUSTC_WRAPPER).toBe(shell.hoardExe);
    expect(shell.hoardExe).toMatch(/^\/nix\/store\/.*-hoard\/bin\/hoard$/);
    expect(shell.environment.CARGO_INCREMENTAL).toBe('0');
    expect(Object.keys(shell.environment).filter((name) => name.startsWith('HOARD_'))).toEqual([]);
    expect(shell.environment).not.toHaveProperty('CC');
    expect(shell.packages[0]).toMatch(/^hoard/);
  });

  it('offers C and C++ through hoard only when asked', () => {
    expect(evaluate('{ enableC = true; }').environment).toMatchObject({
      CC: 'hoard cc',
      CXX: 'hoard c++',
      CC_KNOWN_WRAPPER_CUSTOM: 'hoard',
    });
    expect(evaluate('{ enableC = true; cCompiler = "clang"; cxxCompiler = "clang++"; }').environment).toMatchObject({
      CC: 'hoard clang',
      CXX: 'hoard clang++',
    });
  });

  it('points TMPDIR at a directory that outlives the shell, and writes the cache size to the config file once', () => {
    const { shellHook } = evaluate('{ cacheSize = "20G"; baseDirs = false; }');
    const { home, env } = sandboxHome();
    const first = runBash(shellHook, env);
    expect(first.tmpdir).toBe(join(home, '.cache', 'hoard-tmp'));
    expect(existsSync(first.tmpdir)).toBe(true);
    const configFile = join(home, '.config', 'hoard', 'config.toml');
    expect(first.stderr).toContain(`hoard: wrote cache_size = 20G to ${configFile}`);
    const loaded = loadConfig({ HOME: home });
    expect(loaded.file).toBe(configFile);
    expect(loaded.config.cache_size).toBe(20 * 1024 ** 3);
    expect(loaded.sources.cache_size).toBe('file');

    // The user's own value wins over the shell's from then on.
    writeFileSync(configFile, 'cache_size = "50G"\n');
    const second = runBash(shellHook, { ...env, XDG_CACHE_HOME: join(home, 'xdg-cache') });
    expect(second.tmpdir).toBe(join(home, 'xdg-cache', 'hoard-tmp'));
    expect(second.stderr).toBe('');
    expect(readFileSync(configFile, 'utf8')).toBe('cache_size = "50G"\n');
    expect(existsSync(join(home, 'hoard-was-run')), 'the shellHook ran hoard (a server command?)').toBe(false);
  });

  it('honours HOARD_CONFIG, and leaves the config alone without a cacheSize', () => {
    const { home, env } = sandboxHome();
    const elsewhere = join(home, 'elsewhere.toml');
    runBash(evaluate('{ cacheSize = "5G"; baseDirs = false; }').shellHook, { ...env, HOARD_CONFIG: elsewhere });
    expect(readFileSync(elsewhere, 'utf8')).toBe('cache_size = "5G"\n');
    runBash(evaluate('{ baseDirs = false; }').shellHook, env);
    expect(existsSync(join(home, '.config', 'hoard'))).toBe(false);
  });

  it("turns base directories on in the config file, saying so once, and leaves a basedirs of the user's own alone", () => {
    const { home, env } = sandboxHome();
    const configFile = join(home, '.config', 'hoard', 'config.toml');
    const first = runBash(evaluate('{ cacheSize = "20G"; }').shellHook, env);
    expect(first.stderr).toContain(`hoard: set basedirs = ["auto"] in ${configFile}`);
    expect(first.stderr).toContain('mkDevShell { baseDirs = false; }');
    expect(loadConfig({ HOME: home }).config).toMatchObject({ basedirs: ['auto'], cache_size: 20 * 1024 ** 3 });
    expect(runBash(evaluate().shellHook, env).stderr).toBe('');
    // An existing file gains the key (before any table), once; the user's own choice stays.
    writeFileSync(configFile, 'cache_size = "50G"\n');
    runBash(evaluate().shellHook, env);
    expect(readFileSync(configFile, 'utf8')).toBe('basedirs = ["auto"]\ncache_size = "50G"\n');
    writeFileSync(configFile, 'basedirs = []\n');
    expect(runBash(evaluate().shellHook, env).stderr).toBe('');
    expect(readFileSync(configFile, 'utf8')).toBe('basedirs = []\n');
    expect(existsSync(join(home, 'hoard-was-run'))).toBe(false);
  });

  it('writes a cache size with quotes and shell characters as the same TOML string', () => {
    const size = '20"G $(touch pwned) \\';
    const { home, env } = sandboxHome();
    const configFile = join(home, '.config', 'hoard', 'config.toml');
    const result = runBash(
      evaluate(`{ cacheSize = ${JSON.stringify(size).replaceAll('$', '\\$')}; baseDirs = false; }`).shellHook,
      env,
      home,
    );
    expect(parse(readFileSync(configFile, 'utf8'))).toEqual({ cache_size: size });
    expect(result.stderr).toContain(`hoard: wrote cache_size = ${size} to ${configFile}`);
    expect(existsSync(join(home, 'pwned'))).toBe(false);
  });

  it('refuses a cacheSize that is not a string, saying so', () => {
    expect(() => evaluate('{ cacheSize = 20; }')).toThrow(/cacheSize is a string such as "20G" \(or null\), got int/);
  });
});

describe('.envrc', () => {
  it("exports the persistent TMPDIR again after `use flake` restored the caller's", () => {
    const { home, env } = sandboxHome();
    // direnv's own functions, standing in: `use flake` leaves the caller's TMPDIR behind.
    const direnvStandIns = `watch_file() { :; }\nuse() { export TMPDIR=/tmp/callers-tmp; }\n`;
    const result = runBash(`${direnvStandIns}source .envrc`, env);
    expect(result.tmpdir).toBe(join(home, '.cache', 'hoard-tmp'));
    expect(existsSync(result.tmpdir)).toBe(true);
  });

  it('watches the files the shell is built from', () => {
    const watched = /^watch_file (.*)$/m.exec(readFileSync(join(repoRoot, '.envrc'), 'utf8'))![1]!.split(' ');
    expect(watched).toEqual(
      expect.arrayContaining(['flake.nix', 'flake.lock', 'nix/dev-shell.nix', 'nix/package.nix', 'package-lock.json']),
    );
    for (const file of watched) expect(existsSync(join(repoRoot, file)), file).toBe(true);
  });
});
