import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from './messages.js';
import { resolveLocations } from './locations.js';

describe('resolveLocations', () => {
  it('keeps the cache under HOME, or the user database home where HOME is unset', () => {
    expect(resolveLocations({ HOME: '/home/ada' }).stateDir).toBe('/home/ada/.cache/hoard');
    expect(resolveLocations({}).stateDir).toBe(join(homedir(), '.cache', 'hoard'));
    expect(resolveLocations({ HOME: '' }).stateDir).toBe(join(homedir(), '.cache', 'hoard'));
  });

  it('follows an absolute XDG_CACHE_HOME and ignores a relative one', () => {
    expect(resolveLocations({ HOME: '/home/ada', XDG_CACHE_HOME: '/var/cache/ada' }).stateDir).toBe(
      '/var/cache/ada/hoard',
    );
    expect(resolveLocations({ HOME: '/home/ada', XDG_CACHE_HOME: 'cache' }).stateDir).toBe('/home/ada/.cache/hoard');
  });

  it('puts the socket in the runtime directory, unless HOARD_DIR gives the cache a server of its own', () => {
    const shared = resolveLocations({ HOME: '/home/ada', XDG_RUNTIME_DIR: '/run/user/1000' });
    expect(shared.socketPath).toBe('/run/user/1000/hoard/server.sock');
    expect(shared.lanesDir).toBe(`/run/user/1000/hoard/lanes-p${PROTOCOL_VERSION}`);
    const own = resolveLocations({ HOME: '/home/ada', XDG_RUNTIME_DIR: '/run/user/1000', HOARD_DIR: '/data/hoard' });
    expect(own.stateDir).toBe('/data/hoard');
    expect(own.socketPath).toBe('/data/hoard/run/server.sock');
    expect(own.errorLogPath).toBe('/data/hoard/error.log');
  });
});
