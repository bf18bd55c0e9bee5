import { describe, expect, it } from 'vitest';
import { serverEnvironment } from './start-server.js';

describe('serverEnvironment', () => {
  it("keeps what finds the user's files and config, and the AWS credential chain of S3 remotes; drops the build's state", () => {
    const kept = serverEnvironment({
      HOME: '/home/me',
      PATH: '/usr/bin',
      HOARD_REMOTES: 's3://team/hoard',
      XDG_CACHE_HOME: '/home/me/.cache',
      AWS_ACCESS_KEY_ID: 'AKIA',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_PROFILE: 'ci',
      CARGO_TARGET_DIR: '/tmp/target',
      TMPDIR: '/tmp/nix-shell.abc',
      SCCACHE_BUCKET: 'old',
    });
    expect(kept).toEqual({
      HOME: '/home/me',
      PATH: '/usr/bin',
      HOARD_REMOTES: 's3://team/hoard',
      XDG_CACHE_HOME: '/home/me/.cache',
      AWS_ACCESS_KEY_ID: 'AKIA',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_PROFILE: 'ci',
    });
  });
});
