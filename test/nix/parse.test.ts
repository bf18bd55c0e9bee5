// Runs wherever nix-bin is installed (CI installs it): no nixpkgs needed.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { announceSkip, nixCommand, repoRoot, skipReason } from './nix-tools.js';

const nixFiles = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.nix'], {
  cwd: repoRoot,
  encoding: 'utf8',
})
  .split('\n')
  .filter(Boolean);

const reason = skipReason({});
announceSkip('parsing the Nix files', reason);

describe('Nix files', () => {
  it('include the flake, the package, the devShell and the home-manager module', () => {
    expect(nixFiles).toEqual(
      expect.arrayContaining(['flake.nix', 'nix/package.nix', 'nix/dev-shell.nix', 'modules/home-manager.nix']),
    );
  });

  it.skipIf(reason).each(nixFiles)('%s parses', (file) => {
    const result = spawnSync('nix-instantiate', ['--parse', join(repoRoot, file)], { encoding: 'utf8' });
    expect(result.error, 'nix-instantiate is missing: apt-get install nix-bin').toBeUndefined();
    expect(
      result.stderr
        .split('\n')
        .filter((line) => line.startsWith('error'))
        .join('\n'),
    ).toBe('');
    expect(result.status).toBe(0);
  });

  it.skipIf(reason)(
    'flake.lock locks exactly the inputs flake.nix declares (Nix accepts it offline without a change)',
    () => {
      const scratch = mkdtempSync(join(tmpdir(), 'hoard-flake-lock-'));
      for (const file of ['flake.nix', 'flake.lock']) cpSync(join(repoRoot, file), join(scratch, file));
      const metadata = JSON.parse(
        nixCommand(['flake', 'metadata', '--offline', '--no-write-lock-file', '--json', `path:${scratch}`], scratch, {
          privateStore: true,
        }),
      );
      expect(metadata.locks).toEqual(JSON.parse(readFileSync(join(repoRoot, 'flake.lock'), 'utf8')));
      expect(Object.keys(metadata.locks.nodes).sort()).toEqual(['home-manager', 'nixpkgs', 'root']);
      expect(metadata.locks.nodes['home-manager'].inputs).toEqual({ nixpkgs: ['nixpkgs'] });
    },
  );
});
