// modules/home-manager.nix under lib.evalModules with the real nixpkgs lib and home-manager (see
// module-harness.nix for what is real and what stands in for nixpkgs' pkgs).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { announceSkip, homeManager, nixEval, nixpkgsLib, repoRoot, skipReason } from './nix-tools.js';

interface Evaluation {
  hoardConfigFile: { target: string; settings: Record<string, unknown> } | null;
  cargoConfigFile: { build?: Record<string, unknown> } | null;
  sessionVariables: Record<string, string>;
  packages: string[];
  systemdServices: Record<string, { Service: { ExecStart: string; Environment: string[] } }>;
  launchdAgents: Record<
    string,
    { enable: boolean; config: { ProgramArguments: string[]; EnvironmentVariables: Record<string, string> } }
  >;
  failedAssertions: string[];
  package: string;
  maintainers: Record<string, string | number>[];
  optionDescriptions: { name: string; description: string }[];
}

const HOARD = '/nix/store/00000000000000000000000000000000-hoard/bin/hoard';

/** `hoardModules`: how hoard's module is imported (module-harness.nix): the file, or the flake's outputs. */
function evaluate(
  userConfig: string,
  options: { withCargoModule?: boolean; system?: string; hoardModules?: string[] } = {},
): Evaluation {
  return nixEval(join(repoRoot, 'test/nix/module-harness.nix'), {
    str: { nixpkgsLib: nixpkgsLib!, homeManager: homeManager!, system: options.system ?? 'x86_64-linux' },
    expr: {
      userConfig,
      withCargoModule: String(options.withCargoModule ?? false),
      hoardModules: `[ ${(options.hoardModules ?? ['file']).map((name) => JSON.stringify(name)).join(' ')} ]`,
    },
  }) as Evaluation;
}

const reason = skipReason({ nixpkgsLib: true, homeManager: true });
announceSkip('home-manager module tests', reason);

describe.skipIf(reason !== undefined)('programs.hoard (home-manager module)', () => {
  it('does nothing while disabled, even with settings', () => {
    const result = evaluate('{ programs.hoard.settings.cache_size = "20G"; programs.hoard.service.enable = true; }');
    expect(result).toMatchObject({
      hoardConfigFile: null,
      sessionVariables: {},
      packages: [],
      systemdServices: {},
      launchdAgents: {},
    });
  });

  it('installs hoard, wraps rustc and turns incremental builds off through session variables when programs.cargo is absent', () => {
    const result = evaluate('{ programs.hoard.enable = true; }');
    expect(result.packages).toEqual(['hoard']);
    expect(result.sessionVariables).toEqual({ RUSTC_WRAPPER: HOARD, CARGO_INCREMENTAL: '0' });
    // Base directories on by default: the file holds that, and a user's own value or baseDirs = false wins.
    expect(result.hoardConfigFile?.settings).toEqual({ basedirs: ['auto'] });
  });

  it('turns base directories on unless told otherwise, and writes no file when nothing is left to set', () => {
    expect(
      evaluate('{ programs.hoard.enable = true; programs.hoard.settings.basedirs = [ ]; }').hoardConfigFile?.settings,
    ).toEqual({ basedirs: [] });
    expect(
      evaluate('{ programs.hoard.enable = true; programs.hoard.settings.basedirs = [ "/srv/src" ]; }').hoardConfigFile
        ?.settings,
    ).toEqual({ basedirs: ['/srv/src'] });
    expect(evaluate('{ programs.hoard.enable = true; programs.hoard.baseDirs = false; }').hoardConfigFile).toBeNull(); // no settings: no file, the user may keep their own
  });

  it('writes the settings to xdg.configFile."hoard/config.toml", and hoard loads that TOML', () => {
    const result = evaluate(`{
      programs.hoard.enable = true;
      programs.hoard.settings = { cache_size = "20G"; idle_timeout = "30m"; log_level = "debug"; basedirs = [ "auto" "/srv/src" ]; };
    }`);
    expect(result.hoardConfigFile).toEqual({
      target: '.config/hoard/config.toml',
      settings: { cache_size: '20G', idle_timeout: '30m', log_level: 'debug', basedirs: ['auto', '/srv/src'] },
    });
    const file = join(mkdtempSync(join(tmpdir(), 'hoard-hm-')), 'config.toml');
    writeFileSync(file, stringify(result.hoardConfigFile!.settings));
    const loaded = loadConfig({ HOARD_CONFIG: file, HOME: tmpdir() });
    expect(loaded.config).toMatchObject({
      cache_size: 20 * 1024 ** 3,
      idle_timeout: 1800,
      log_level: 'debug',
      basedirs: ['auto', '/srv/src'],
    });
    expect(loaded.sources).toMatchObject({
      cache_size: 'file',
      idle_timeout: 'file',
      log_level: 'file',
      basedirs: 'file',
    });
  });

  it('passes settings hoard does not know through, so hoard itself reports them with a one-line error', () => {
    const result = evaluate('{ programs.hoard.enable = true; programs.hoard.settings.cache_sise = "20G"; }');
    const file = join(mkdtempSync(join(tmpdir(), 'hoard-hm-')), 'config.toml');
    writeFileSync(file, stringify(result.hoardConfigFile!.settings));
    expect(() => loadConfig({ HOARD_CONFIG: file, HOME: tmpdir() })).toThrow(
      /unknown key 'cache_sise'. Known keys: .*cache_size/,
    );
  });

  it('adds rustc-wrapper and incremental = false to programs.cargo.settings when programs.cargo is enabled', () => {
    const result = evaluate('{ programs.hoard.enable = true; programs.cargo.enable = true; }', {
      withCargoModule: true,
    });
    expect(result.cargoConfigFile).toEqual({ build: { 'rustc-wrapper': HOARD, incremental: false } });
    expect(result.sessionVariables).toEqual({});
  });

  it('falls back to session variables when the programs.cargo module exists but is disabled', () => {
    const result = evaluate('{ programs.hoard.enable = true; }', { withCargoModule: true });
    expect(result.cargoConfigFile).toBeNull();
    expect(result.sessionVariables).toEqual({ RUSTC_WRAPPER: HOARD, CARGO_INCREMENTAL: '0' });
  });

  it("leaves the user's own wrapper and incremental setting in place", () => {
    const viaCargo = evaluate(
      '{ programs.hoard.enable = true; programs.cargo.enable = true; programs.cargo.settings.build = { rustc-wrapper = "/usr/bin/sccache"; incremental = true; }; }',
      { withCargoModule: true },
    );
    expect(viaCargo.cargoConfigFile).toEqual({ build: { 'rustc-wrapper': '/usr/bin/sccache', incremental: true } });
    const viaEnvironment = evaluate(
      '{ programs.hoard.enable = true; home.sessionVariables.RUSTC_WRAPPER = "/usr/bin/sccache"; }',
    );
    expect(viaEnvironment.sessionVariables.RUSTC_WRAPPER).toBe('/usr/bin/sccache');
  });

  it('touches neither cargo nor the environment with the integrations turned off', () => {
    const off =
      '{ programs.hoard = { enable = true; enableCargoIntegration = false; disableIncrementalCompilation = false; }; programs.cargo.enable = true; }';
    const result = evaluate(off, { withCargoModule: true });
    expect(result.cargoConfigFile).toEqual({});
    expect(result.sessionVariables).toEqual({});
  });

  it('sets CC and CXX only when C support is asked for', () => {
    expect(evaluate('{ programs.hoard.enable = true; }').sessionVariables).not.toHaveProperty('CC');
    expect(
      evaluate('{ programs.hoard.enable = true; programs.hoard.c.enable = true; }').sessionVariables,
    ).toMatchObject({
      CC: 'hoard cc',
      CXX: 'hoard c++',
      CC_KNOWN_WRAPPER_CUSTOM: 'hoard',
    });
    const clang =
      '{ programs.hoard.enable = true; programs.hoard.c = { enable = true; compiler = "clang"; cxxCompiler = "clang++"; }; }';
    expect(evaluate(clang).sessionVariables).toMatchObject({ CC: 'hoard clang', CXX: 'hoard clang++' });
  });

  it('runs no server unless asked; then a systemd user service on Linux that does not idle out', () => {
    expect(evaluate('{ programs.hoard.enable = true; }').systemdServices).toEqual({});
    const result = evaluate('{ programs.hoard.enable = true; programs.hoard.service.enable = true; }');
    expect(result.systemdServices.hoard!.Service).toMatchObject({
      ExecStart: `${HOARD} server start --foreground`,
      Environment: ['HOARD_IDLE_TIMEOUT=0'],
    });
    expect(result.launchdAgents).toEqual({});
    expect(result.failedAssertions).toEqual([]);
  });

  it('and a launchd agent on macOS', () => {
    const result = evaluate('{ programs.hoard.enable = true; programs.hoard.service.enable = true; }', {
      system: 'aarch64-darwin',
    });
    expect(result.systemdServices).toEqual({});
    expect(result.launchdAgents.hoard).toMatchObject({
      enable: true,
      config: {
        ProgramArguments: [HOARD, 'server', 'start', '--foreground'],
        EnvironmentVariables: { HOARD_IDLE_TIMEOUT: '0' },
      },
    });
  });

  it('writes remotes as [[remotes]] tables that hoard loads, with secrets only as file paths', () => {
    const result = evaluate(`{
      programs.hoard.enable = true;
      programs.hoard.settings.basedirs = [ "auto" ];
      programs.hoard.remotes = [
        { url = "s3://team-cache/hoard"; region = "eu-west-1"; readOnly = true; credentialsFile = "/run/agenix/aws"; timeout = "1500ms"; pathStyle = false; }
        { url = "rediss://cache.internal:6380"; username = "dev"; passwordFile = "/run/agenix/redis"; expiry = "14d"; }
        { url = "https://cache.internal/hoard"; tokenFile = "/run/agenix/cache-token"; readOnly = true; }
      ];
    }`);
    expect(result.failedAssertions).toEqual([]);
    expect(result.hoardConfigFile!.settings.remotes).toEqual([
      {
        url: 's3://team-cache/hoard',
        region: 'eu-west-1',
        read_only: true,
        credentials_file: '/run/agenix/aws',
        timeout: '1500ms',
        path_style: false,
      },
      { url: 'rediss://cache.internal:6380', username: 'dev', password_file: '/run/agenix/redis', expiry: '14d' },
      { url: 'https://cache.internal/hoard', token_file: '/run/agenix/cache-token', read_only: true },
    ]);
    const file = join(mkdtempSync(join(tmpdir(), 'hoard-hm-')), 'config.toml');
    writeFileSync(file, stringify(result.hoardConfigFile!.settings));
    const loaded = loadConfig({ HOARD_CONFIG: file, HOME: tmpdir() });
    expect(loaded.config.remotes).toEqual([
      expect.objectContaining({
        url: 's3://team-cache/hoard',
        read_only: true,
        timeout: 1.5,
        path_style: false,
        credentials_file: '/run/agenix/aws',
      }),
      expect.objectContaining({
        url: 'rediss://cache.internal:6380',
        username: 'dev',
        password_file: '/run/agenix/redis',
        expiry: 14 * 86400,
      }),
      expect.objectContaining({ url: 'https://cache.internal/hoard', token_file: '/run/agenix/cache-token' }),
    ]);
  });

  it('refuses a secret in the Nix store, a relative path, and credentials in a remote URL', () => {
    const inStore = evaluate(
      '{ programs.hoard.enable = true; programs.hoard.remotes = [ { url = "redis://cache"; passwordFile = "/nix/store/0000-pw"; } ]; }',
    );
    expect(inStore.failedAssertions).toEqual([expect.stringMatching(/must name files outside the Nix store/)]);
    const tokenInStore = evaluate(
      '{ programs.hoard.enable = true; programs.hoard.remotes = [ { url = "https://cache/hoard"; tokenFile = "/nix/store/0000-token"; } ]; }',
    );
    expect(tokenInStore.failedAssertions).toEqual([expect.stringMatching(/tokenFile .*outside the Nix store/)]);
    const inUrl = evaluate(
      '{ programs.hoard.enable = true; programs.hoard.remotes = [ { url = "redis://me:hunter2@cache"; } ]; }',
    );
    expect(inUrl.failedAssertions).toEqual([expect.stringMatching(/a URL holds credentials/)]);
    expect(inUrl.failedAssertions.join(' ')).not.toContain('hunter2');
    expect(() =>
      evaluate(
        '{ programs.hoard.enable = true; programs.hoard.remotes = [ { url = "redis://cache"; passwordFile = "secrets/pw"; } ]; }',
      ),
    ).toThrow(/passwordFile/);
  });

  it('rejects settings that are not TOML values, null among them (TOML has none)', () => {
    expect(() => evaluate('{ programs.hoard.enable = true; programs.hoard.settings.cache_size = x: x; }')).toThrow(
      /programs\.hoard\.settings\.cache_size/,
    );
    expect(() => evaluate('{ programs.hoard.enable = true; programs.hoard.settings.cache_size = null; }')).toThrow(
      /programs\.hoard\.settings\.cache_size/,
    );
  });

  it("asserts, as home-manager's own daemons do, when the service is asked for without a user service manager", () => {
    const message = /programs\.hoard\.service needs systemd\.user\.enable \(Linux\) or launchd\.enable \(macOS\)/;
    const linux = evaluate(
      '{ programs.hoard.enable = true; programs.hoard.service.enable = true; systemd.user.enable = false; }',
    );
    expect(linux.systemdServices).toEqual({});
    expect(linux.failedAssertions).toEqual([expect.stringMatching(message)]);
    const mac = evaluate(
      '{ programs.hoard.enable = true; programs.hoard.service.enable = true; launchd.enable = false; }',
      { system: 'aarch64-darwin' },
    );
    expect(mac.launchdAgents).toEqual({});
    expect(mac.failedAssertions).toEqual([expect.stringMatching(message)]);
    expect(evaluate('{ programs.hoard.enable = true; systemd.user.enable = false; }').failedAssertions).toEqual([]);
  });

  it('names its maintainers, and describes each option in a sentence or two', () => {
    const result = evaluate('{ }');
    expect(result.maintainers.length).toBeGreaterThan(0);
    for (const maintainer of result.maintainers) expect(maintainer.name).toEqual(expect.any(String));
    expect(result.optionDescriptions.map((option) => option.name)).toEqual(
      expect.arrayContaining(['programs.hoard.enable', 'programs.hoard.settings', 'programs.hoard.service.enable']),
    );
    for (const { name, description } of result.optionDescriptions) {
      expect(description.trim().length, name).toBeLessThanOrEqual(160);
      expect(description.trim(), name).toMatch(/\.$/);
      expect(description.trim(), name).not.toMatch(/\n\s*\n/);
    }
  });
});

describe.skipIf(reason !== undefined)("the flake's homeModules.default", () => {
  it('is taken once however often it is imported, under either name', () => {
    for (const hoardModules of [
      ['homeModules', 'homeModules'],
      ['homeModules', 'homeManagerModules'],
    ]) {
      const result = evaluate('{ programs.hoard.enable = true; }', { hoardModules });
      expect(result.packages).toEqual(['hoard-0.1.0']);
      expect(result.failedAssertions).toEqual([]);
    }
  });

  it('builds the package for a system the flake does not list, instead of failing', () => {
    for (const system of ['riscv64-linux', 'x86_64-darwin']) {
      const result = evaluate('{ programs.hoard.enable = true; }', { system, hoardModules: ['homeModules'] });
      expect(result.package, system).toBe('hoard-0.1.0');
      expect(result.sessionVariables.RUSTC_WRAPPER, system).toMatch(/-hoard\/bin\/hoard$/);
    }
  });

  it("defaults the package to the flake's, which a setting of the user's replaces", () => {
    expect(evaluate('{ programs.hoard.enable = true; }', { hoardModules: ['homeModules'] }).package).toBe(
      'hoard-0.1.0',
    );
    const own = '{ pkgs, ... }: { programs.hoard.enable = true; programs.hoard.package = pkgs.hoard; }';
    expect(evaluate(own, { hoardModules: ['homeModules'] }).package).toBe('hoard');
  });
});
