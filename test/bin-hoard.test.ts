import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HOARD, REPO } from './e2e/harness.js';

/** A stand-in for node (HOARD_NODE) that prints what it was started with. */
function fakeNode(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'hoard-bin-')), 'node');
  writeFileSync(
    path,
    '#!/bin/sh\nprintf \'%s\\n\' "$@"\nprintf \'CA=%s SAVED=%s\\n\' "${NODE_EXTRA_CA_CERTS-unset}" "${HOARD_NODE_EXTRA_CA_CERTS-unset}"\n',
  );
  chmodSync(path, 0o755);
  return path;
}

function launch(args: string[], env: Record<string, string>): string[] {
  const result = spawnSync(HOARD, args, { env: { PATH: process.env.PATH!, HOME: tmpdir(), ...env }, encoding: 'utf8' });
  expect(result.status).toBe(0);
  return result.stdout.trimEnd().split('\n');
}

describe('bin/hoard, the launcher', () => {
  const bundle = `${REPO}/bin/../dist/hoard.cjs`;

  it('starts node without rehashing its snapshot, hides NODE_EXTRA_CA_CERTS and keeps it for the compiler', () => {
    const lines = launch(['gcc', '-c', 'a.c'], { HOARD_NODE: fakeNode(), NODE_EXTRA_CA_CERTS: '/etc/ca.pem' });
    expect(lines).toEqual(['--no-rehash-snapshot', bundle, 'gcc', '-c', 'a.c', 'CA=unset SAVED=/etc/ca.pem']);
  });

  it('takes its node flags from HOARD_NODE_FLAGS when set, even to nothing', () => {
    const node = fakeNode();
    expect(launch(['stats'], { HOARD_NODE: node, HOARD_NODE_FLAGS: '' })).toEqual([bundle, 'stats', 'CA=unset SAVED=unset']);
    expect(launch(['stats'], { HOARD_NODE: node, HOARD_NODE_FLAGS: '--max-old-space-size=256 --stack-size=2000' })).toEqual([
      '--max-old-space-size=256',
      '--stack-size=2000',
      bundle,
      'stats',
      'CA=unset SAVED=unset',
    ]);
  });

  it('starts the server commands with V8 defaults (a foreground server runs in that process)', () => {
    expect(launch(['server', 'start', '--foreground'], { HOARD_NODE: fakeNode() })).toEqual([bundle, 'server', 'start', '--foreground', 'CA=unset SAVED=unset']);
  });

  it('splits HOARD_NODE_FLAGS at spaces but never expands patterns in it', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'hoard-glob-'));
    writeFileSync(join(cwd, '--x=a'), '');
    const result = spawnSync(HOARD, ['gcc'], { cwd, env: { PATH: process.env.PATH!, HOME: cwd, HOARD_NODE: fakeNode(), HOARD_NODE_FLAGS: '--x=[ab]' }, encoding: 'utf8' });
    expect(result.stdout.split('\n')[0]).toBe('--x=[ab]');
  });

  it("runs on this machine's node with its flag", () => {
    expect(launch(['--version'], {})).toEqual([expect.stringMatching(/^hoard \d+\.\d+\.\d+/)]);
  });
});
