import { describe, expect, it } from 'vitest';
import { CliError } from '../cli/client.js';
import { StorageError } from '../cache/storage.js';
import { ConfigError } from '../config/load.js';
import { UntrustedRendezvous } from '../protocol/rendezvous.js';
import { errorLine, HoardError } from './hoard-error.js';

describe('HoardError', () => {
  it('keeps its cause (ES2022), its hint and a stable code', () => {
    const cause = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    const error = new HoardError('cannot read /x/config.toml', {
      cause,
      hint: 'check its permissions',
      code: 'config-unreadable',
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.cause).toBe(cause);
    expect(error.hint).toBe('check its permissions');
    expect(error.code).toBe('config-unreadable');
    expect(error.name).toBe('HoardError');
    expect('cause' in new HoardError('no cause')).toBe(false);
  });

  it('is what the user-facing errors are, each with its name and code', () => {
    const errors = [
      new CliError('x'),
      new ConfigError('x'),
      new StorageError('timeout', 'x'),
      new UntrustedRendezvous('/run/hoard is not yours', '/run/hoard'),
    ];
    for (const error of errors) expect(error).toBeInstanceOf(HoardError);
    expect(errors.map((error) => [error.name, error.code])).toEqual([
      ['CliError', 'cli'],
      ['ConfigError', 'config'],
      ['StorageError', 'storage-timeout'],
      ['UntrustedRendezvous', 'untrusted-rendezvous'],
    ]);
    expect(new StorageError('auth', 'denied', { cause: new Error('403') }).cause).toBeInstanceOf(Error);
  });

  it('reads as one line: the message, then what to do', () => {
    expect(errorLine(new CliError("unknown command 'frob'", { hint: "'hoard --help' lists the commands." }))).toBe(
      "unknown command 'frob'; 'hoard --help' lists the commands.",
    );
    expect(
      errorLine(new ConfigError('config.toml:3: cache_size: not a size.', { hint: 'write it as 10G or 500M.' })),
    ).toBe('config.toml:3: cache_size: not a size; write it as 10G or 500M.');
    expect(errorLine(new HoardError('first line\nsecond line'))).toBe('first line');
  });
});
