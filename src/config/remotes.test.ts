import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load.js';
import { maskRemotes, maskUrl, remoteLabel } from './remotes.js';

const homes: string[] = [];
afterAll(() => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

function withConfig(text: string, extraEnv: Record<string, string> = {}) {
  const home = mkdtempSync(join(tmpdir(), 'hoard-remotes-'));
  homes.push(home);
  mkdirSync(join(home, 'config', 'hoard'), { recursive: true });
  writeFileSync(join(home, 'config', 'hoard', 'config.toml'), text);
  return { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_CACHE_HOME: join(home, 'cache'), ...extraEnv };
}

const TEAM = `
[[remotes]]
url = "s3://team-cache/hoard"
region = "eu-west-1"
read_only = true
timeout = "1500ms"

[[remotes]]
url = "redis://cache.internal:6379/2"
username = "laptop"
password_file = "/run/secrets/hoard-redis"
expiry = "14d"
`;

describe('remotes in the config', () => {
  it('reads an ordered list of tables with defaults for what is not set', () => {
    const { config, sources } = loadConfig(withConfig(TEAM));
    expect(sources.remotes).toBe('file');
    expect(config.remotes).toHaveLength(2);
    expect(config.remotes[0]).toMatchObject({
      url: 's3://team-cache/hoard',
      region: 'eu-west-1',
      read_only: true,
      timeout: 1.5,
      connect_timeout: 0.5,
      cool_off: 30,
      anonymous: false,
    });
    expect(config.remotes[1]).toMatchObject({
      url: 'redis://cache.internal:6379/2',
      username: 'laptop',
      password_file: '/run/secrets/hoard-redis',
      expiry: 14 * 86400,
      read_only: false,
      cluster: false,
    });
  });

  it('takes HOARD_REMOTES as whitespace-separated URLs with options as query parameters, replacing the file', () => {
    const env = withConfig(TEAM, {
      HOARD_REMOTES:
        's3://ci-cache/main?region=us-east-2&endpoint=http://127.0.0.1:9000&timeout=3s  rediss://cache:6380?read_only=true&cluster=1',
    });
    const { config, sources } = loadConfig(env);
    expect(sources.remotes).toBe('environment');
    expect(config.remotes).toEqual([
      expect.objectContaining({
        url: 's3://ci-cache/main',
        region: 'us-east-2',
        endpoint: 'http://127.0.0.1:9000',
        timeout: 3,
        read_only: false,
      }),
      expect.objectContaining({ url: 'rediss://cache:6380', read_only: true, cluster: true }),
    ]);
  });

  it.each([
    [
      '[[remotes]]\nurl = "ftp://cache/"\n',
      /remotes\[1\]\.url: expected an s3:\/\/bucket\[\/prefix\], redis:\/\/host\[:port\]\[\/db\], rediss:\/\/…, or http\(s\):\/\/host\[:port\]\[\/path\] URL, got "ftp:\/\/cache\/"\.$/,
    ],
    [
      '[[remotes]]\nurl = "https://cache/dav"\ntoken_file = "/run/secrets/t"\npassword_file = "/run/secrets/p"\n',
      /remotes\[1\]\.token_file: a bearer token \(token_file\) or a user and password \(username and password_file, or in the URL\), not both: drop one\.$/,
    ],
    [
      '[[remotes]]\nurl = "redis://h"\ntoken_file = "/run/secrets/t"\n',
      /remotes\[1\]\.token_file: applies to http remotes only, and this one is redis \(redis:\/\/\)\.$/,
    ],
    [
      '[[remotes]]\nurl = "s3://b"\nusername = "ci"\n',
      /remotes\[1\]\.username: applies to redis and http remotes only, and this one is s3 \(s3:\/\/\)\.$/,
    ],
    [
      '[[remotes]]\nurl = "redis://h"\nregion = "eu-west-1"\n',
      /remotes\[1\]\.region: applies to s3 remotes only, and this one is redis \(redis:\/\/\)\.$/,
    ],
    [
      '[[remotes]]\nurl = "s3://b"\n[[remotes]]\nurl = "s3://b"\ntimeout = "soon"\n',
      /remotes\[2\]\.timeout: expected a duration such as "500ms"/,
    ],
    [
      '[[remotes]]\nurl = "s3://b"\nsecret_access_key = "x"\n',
      /remotes\[1\]: unknown key 'secret_access_key'\. Known keys of a remote: url, name, read_only, prefix/,
    ],
    [
      '[[remotes]]\nurl = "s3://b"\nanonymous = true\n',
      /remotes\[1\]\.anonymous: an anonymous remote can only be read: set read_only = true as well\.$/,
    ],
    ['[[remotes]]\nurl = "redis://h/db"\n', /the path of a Redis URL is the database number, got "db"/],
    [
      '[[remotes]]\nurl = "redis://h"\npassword_file = "secrets/pw"\n',
      /remotes\[1\]\.password_file: expected an absolute path to a file\.$/,
    ],
  ])('rejects %j in one line that names the remote and the key', (text, message) => {
    const env = withConfig(text);
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('takes an HTTP server (WebDAV) with a token file, or a user and password file', () => {
    const { config } = loadConfig(
      withConfig(
        '[[remotes]]\nurl = "https://cache.internal/dav"\ntoken_file = "/run/secrets/hoard-token"\nread_only = true\n' +
          '[[remotes]]\nurl = "http://nas:8080/hoard/"\nusername = "ci"\npassword_file = "/run/secrets/nas"\nprefix = "team-a"\n',
      ),
    );
    expect(config.remotes).toEqual([
      expect.objectContaining({
        url: 'https://cache.internal/dav',
        token_file: '/run/secrets/hoard-token',
        read_only: true,
      }),
      expect.objectContaining({
        url: 'http://nas:8080/hoard/',
        username: 'ci',
        password_file: '/run/secrets/nas',
        prefix: 'team-a',
      }),
    ]);
    expect(remoteLabel({ url: 'https://ci:hunter2@cache.internal/dav' })).toBe('https://cache.internal/dav');
  });

  it('names the environment variable when HOARD_REMOTES is wrong', () => {
    expect(() => loadConfig(withConfig('', { HOARD_REMOTES: 'redis://h?expiry=forever' }))).toThrow(
      /^environment variable HOARD_REMOTES: remotes\[1\]\.expiry: expected a duration/,
    );
  });

  it('never shows a password from a URL', () => {
    expect(maskUrl('redis://ci:hunter2@cache:6379/1')).toBe('redis://ci:***@cache:6379/1');
    expect(maskUrl('rediss://:hunter2@cache')).toBe('rediss://:***@cache');
    expect(maskUrl('redis://cache:6379')).toBe('redis://cache:6379');
    expect(remoteLabel({ url: 'redis://ci:hunter2@cache:6379/1' })).toBe('redis://cache:6379/1');
    expect(remoteLabel({ url: 's3://bucket/p', name: 'team' })).toBe('team');
    const { config } = loadConfig(withConfig('', { HOARD_REMOTES: 'redis://ci:hunter2@cache:6379' }));
    expect(JSON.stringify(maskRemotes(config.remotes))).not.toContain('hunter2');
  });

  it('hides a password with @ in it (URLs split at the last @), and one with / ? or # that ends the host early', () => {
    expect(maskUrl('https://ci:p@ss@cache/dav')).toBe('https://ci:***@cache/dav');
    expect(remoteLabel({ url: 'https://ci:p@ss@cache/dav' })).toBe('https://cache/dav');
    expect(maskUrl('http://ci:pa#ss@cache/dav')).toBe('http://***@cache/dav');
    expect(maskUrl('http://ci:p/ss@cache/dav')).toBe('http://***@cache/dav');
    expect(remoteLabel({ url: 'http://ci:p/ss@cache/dav' })).toBe('http://cache/dav');
    expect(maskUrl('//ci:hunter2@cache/dav')).toBe('//ci:***@cache/dav');
    expect(maskUrl('ci:p/w@cache/dav')).toBe('***@cache/dav');
    const { config } = loadConfig(withConfig('', { HOARD_REMOTES: 'https://ci:p@ss@cache/dav' }));
    expect(config.remotes[0]).toMatchObject({ url: 'https://ci:p@ss@cache/dav' });
    for (const url of ['http://ci:pa#ss@cache/dav', 'http://ci:p/ss@cache/dav', 'redis://ci:p?w@cache']) {
      let message = '';
      try {
        loadConfig(withConfig(`[[remotes]]\nurl = "${url}"\n`));
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/remotes\[1\]\.url: an @ after a \/ \? or #: .*password_file/);
      expect(message).not.toMatch(/ss@|p\?w/);
    }
  });

  it("keeps an @ in the path or in an option as it is, and a ? in a password out of HOARD_REMOTES's options", () => {
    const { config } = loadConfig(
      withConfig('', { HOARD_REMOTES: 'http://cache:8080/v2@team/ s3://bucket/team@ci s3://other?name=team@ci' }),
    );
    expect(config.remotes.map((remote) => remoteLabel(remote))).toEqual([
      'http://cache:8080/v2@team/',
      's3://bucket/team@ci',
      'team@ci',
    ]);
    expect(maskUrl('http://[::1]:8080/v2@team/')).toBe('http://[::1]:8080/v2@team/');
    expect(maskUrl('/moved/v2@team/')).toBe('/moved/v2@team/');
    for (const value of ['redis://:s3cr?etpw@cache', 'redis://:s3cr?et=pw@cache?read_only=true']) {
      let message = '';
      try {
        loadConfig(withConfig('', { HOARD_REMOTES: value }));
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/an @ after a \/ \? or #/);
      expect(message).not.toMatch(/s3cr|pw/);
    }
    let message = '';
    try {
      loadConfig(withConfig('[[remotes]]\nurl = "ci:p/w@cache/dav"\n'));
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/expected an s3:\/\/bucket/);
    expect(message).not.toContain('p/w');
  });

  it('refuses what an HTTP URL or a prefix cannot mean: a query, a % that is not an escape, a .. segment', () => {
    const problem = (toml: string) => {
      try {
        loadConfig(withConfig(toml));
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(problem('[[remotes]]\nurl = "http://cache/dav?x=1"\n')).toMatch(/takes no query or fragment/);
    expect(problem('[[remotes]]\nurl = "http://ci:50%zz@cache/dav"\n')).toMatch(/not percent-encoding: write %25/);
    expect(problem('[[remotes]]\nurl = "http://cache/dav"\nprefix = "../../etc"\n')).toMatch(
      /prefix: no \. or \.\. segments/,
    );
    expect(problem('[[remotes]]\nurl = "http://cache/dav"\nprefix = "team/a.b"\n')).toBe('');
  });
});
