import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  cargoConfigFiles,
  homeConfigFile,
  incrementalSetting,
  isHoard,
  rustcWrapperSetting,
} from './cargo-settings.js';

function tree(): { root: string; project: string; member: string; home: string } {
  const root = mkdtempSync(join(tmpdir(), 'hoard-cargo-'));
  const project = join(root, 'project');
  const member = join(project, 'crates', 'member');
  const home = join(root, 'cargo-home');
  for (const dir of [join(member, '.cargo'), join(project, '.cargo'), home]) mkdirSync(dir, { recursive: true });
  return { root, project, member, home };
}

describe('cargo settings as cargo finds them', () => {
  it('reads .cargo/config.toml from the directory up, then CARGO_HOME, the nearest first', () => {
    const { project, member, home } = tree();
    writeFileSync(join(project, '.cargo', 'config.toml'), '[build]\nrustc-wrapper = "sccache"\n');
    writeFileSync(join(member, '.cargo', 'config'), '[term]\ncolor = "never"\n');
    writeFileSync(join(home, 'config.toml'), '[build]\nrustc-wrapper = "hoard"\nincremental = false\n');
    const env = { CARGO_HOME: home, PATH: '' };
    expect(cargoConfigFiles(member, env)).toEqual([
      join(member, '.cargo', 'config'),
      join(project, '.cargo', 'config.toml'),
      join(home, 'config.toml'),
    ]);
    expect(rustcWrapperSetting(member, env)).toMatchObject({
      value: 'sccache',
      from: join(project, '.cargo', 'config.toml'),
    });
    expect(incrementalSetting(member, env)).toMatchObject({ value: false, from: join(home, 'config.toml') });
    expect(homeConfigFile(env)).toBe(join(home, 'config.toml'));
  });

  it('lets the environment beat the files, RUSTC_WRAPPER first, and CARGO_INCREMENTAL beat build.incremental', () => {
    const { project, home } = tree();
    writeFileSync(join(home, 'config.toml'), '[build]\nrustc-wrapper = "hoard"\n');
    const env = { CARGO_HOME: home, RUSTC_WRAPPER: '', CARGO_BUILD_RUSTC_WRAPPER: 'sccache', CARGO_INCREMENTAL: '1' };
    expect(rustcWrapperSetting(project, env)).toEqual({ value: '', from: 'environment variable RUSTC_WRAPPER' });
    expect(rustcWrapperSetting(project, { ...env, RUSTC_WRAPPER: undefined })).toEqual({
      value: 'sccache',
      from: 'environment variable CARGO_BUILD_RUSTC_WRAPPER',
    });
    expect(incrementalSetting(project, env)).toEqual({ value: true, from: 'environment variable CARGO_INCREMENTAL' });
  });

  it("falls back to the dev profile: the workspace's Cargo.toml, not a member's", () => {
    const { project, member, home } = tree();
    writeFileSync(
      join(project, 'Cargo.toml'),
      '[workspace]\nmembers = ["crates/member"]\n[profile.dev]\nincremental = false\n',
    );
    writeFileSync(join(member, 'Cargo.toml'), '[package]\nname = "member"\n[profile.dev]\nincremental = true\n');
    expect(incrementalSetting(member, { CARGO_HOME: home })).toEqual({
      value: false,
      from: `[profile.dev] in ${join(project, 'Cargo.toml')}`,
    });
    expect(incrementalSetting(member, { CARGO_HOME: home, CARGO_PROFILE_DEV_INCREMENTAL: 'true' })).toMatchObject({
      value: true,
    });
    writeFileSync(join(home, 'config.toml'), '[build]\nincremental = true\n');
    expect(incrementalSetting(member, { CARGO_HOME: home })).toMatchObject({
      value: true,
      from: join(home, 'config.toml'),
    });
  });

  it('knows hoard by name on PATH, by a path relative to the project, and through links', () => {
    const { root, project } = tree();
    const bin = join(root, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'hoard'), '#!/bin/sh\n');
    chmodSync(join(bin, 'hoard'), 0o755);
    symlinkSync(join(bin, 'hoard'), join(bin, 'cc-wrapper'));
    const env = { PATH: bin };
    expect(isHoard({ value: 'hoard', from: 'x' }, env)).toBe(true);
    expect(isHoard({ value: 'cc-wrapper', from: 'x' }, env)).toBe(true);
    expect(isHoard({ value: '../bin/hoard', from: 'x', file: join(project, '.cargo', 'config.toml') }, env)).toBe(true);
    expect(isHoard({ value: 'sccache', from: 'x' }, env)).toBe(false);
    // Not on PATH: still hoard by its name (doctor reports it as not found).
    expect(isHoard({ value: 'hoard', from: 'x' }, { PATH: '' })).toBe(true);
  });
});
