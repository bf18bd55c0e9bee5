import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './e2e/harness.js';

describe('the wrapper bundle (dist/hoard.cjs)', () => {
  const bundle = join(REPO, 'dist', 'hoard.cjs');
  const slowPath = join(REPO, 'dist', 'wrapper-slow-path.cjs');

  it('loads Node built-ins only, and the hasher of restored copies when a hit has some, so each compile pays for nothing else', () => {
    for (const file of [bundle, slowPath]) {
      const source = readFileSync(file, 'utf8');
      const required = [...source.matchAll(/require\(["']([^"']+)["']\)/g)].map(([, name]) => name!);
      expect(required.length).toBeGreaterThan(0);
      const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
      expect(required.filter((name) => !builtins.has(name))).toEqual([]);
      // Loaded from the install's node_modules, beside the file (src/fs/content-hash.ts), not bundled.
      expect(source).toContain('createRequire)(__filename)');
      for (const hasher of ['@napi-rs/blake-hash-linux-x64-gnu', '@napi-rs/blake-hash-linux-x64-musl', 'blake3-wasm'])
        expect(source).toContain(`"${hasher}"`);
      for (const heavy of ['zod', 'ink', 'execa', 'smol-toml', 'chokidar', 'blake3', '@napi-rs'])
        expect(source).not.toContain(`node_modules/${heavy}`);
    }
  });

  it('leaves what a hit over a lane does not need to the slow path, which it loads by name', () => {
    const source = readFileSync(bundle, 'utf8');
    expect(source).toContain('wrapper-slow-path.cjs');
    // Starting a server, the socket and running a compiler: each is in the slow path only.
    for (const name of ['connectOrStart', 'ServerConnection', 'runCaptured', 'compileAndStore']) {
      expect(source).not.toContain(name);
      expect(readFileSync(slowPath, 'utf8')).toContain(name);
    }
  });

  it('never loads a built-in with import(), which starts the ESM loader too (21M instructions on each compile that runs)', () => {
    for (const file of [bundle, slowPath]) expect(readFileSync(file, 'utf8')).not.toMatch(/\bimport\(["']node:/);
  });

  it('never reads the performance global, whose first use loads perf_hooks (1.3–1.8 ms per compile)', () => {
    const source = readFileSync(bundle, 'utf8');
    expect(source).toContain('hrtime');
    expect(source).not.toMatch(/\bperformance\s*\./);
  });

  it('loads node:os only where HOME is unset (loading it costs about 0.45 ms per compile)', () => {
    const source = readFileSync(bundle, 'utf8');
    expect(source).not.toMatch(/require\(["']node:os["']\)/);
  });

  it('compiles directly, saying why, when the slow path cannot be loaded (a broken install fails no build)', () => {
    const install = mkdtempSync(join(tmpdir(), 'hoard-broken-'));
    mkdirSync(join(install, 'dist'));
    copyFileSync(bundle, join(install, 'dist', 'hoard.cjs'));
    // No server and no lanes in this HOARD_DIR: the call needs the slow path at once.
    const env = { PATH: process.env.PATH!, HOME: install, HOARD_DIR: join(install, 'state') };
    const result = spawnSync(
      process.execPath,
      [join(install, 'dist', 'hoard.cjs'), 'sh', '-c', 'echo compiled; exit 3'],
      { env, encoding: 'utf8' },
    );
    expect(result.stdout).toBe('compiled\n');
    expect(result.status).toBe(3);
    expect(result.stderr).toMatch(
      /^hoard: cannot load .*wrapper-slow-path\.cjs .*; compiling directly\. Reinstall hoard\.\n$/,
    );
  });

  it('compiles directly on a bug in the wrapper, saying where to report it, with the stack in the error log', () => {
    const install = mkdtempSync(join(tmpdir(), 'hoard-bug-'));
    mkdirSync(join(install, 'dist'));
    copyFileSync(bundle, join(install, 'dist', 'hoard.cjs'));
    // The real slow path, but for one function that fails as a bug would: an exception nothing expects.
    writeFileSync(
      join(install, 'dist', 'wrapper-slow-path.cjs'),
      `module.exports = { ...require(${JSON.stringify(slowPath)}), finish() { throw new TypeError("Cannot read properties of undefined (reading 'type')"); } };\n`,
    );
    const state = join(install, 'state');
    const env = { PATH: process.env.PATH!, HOME: install, HOARD_DIR: state };
    const compile = ['sh', '-c', 'echo compiled; exit 3'];
    const result = spawnSync(process.execPath, [join(install, 'dist', 'hoard.cjs'), ...compile], {
      env,
      encoding: 'utf8',
    });
    expect(result.stdout).toBe('compiled\n');
    expect(result.status).toBe(3);
    const { bugs } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { bugs: { url: string } };
    expect(result.stderr).toBe(
      "hoard: internal error (TypeError: Cannot read properties of undefined (reading 'type')); compiling directly. This is a bug in hoard: " +
        `please report it at ${bugs.url} with the output of \`hoard doctor\` and the stack from ${join(state, 'error.log')}.\n`,
    );
    expect(readFileSync(join(state, 'error.log'), 'utf8')).toMatch(
      /wrapper\[\d+\] internal error: TypeError: .* \| +at Object\.finish .*; compiling sh directly\n$/,
    );
    // With HOARD_DEBUG=1 the stack follows the line.
    const debug = spawnSync(process.execPath, [join(install, 'dist', 'hoard.cjs'), ...compile], {
      env: { ...env, HOARD_DEBUG: '1' },
      encoding: 'utf8',
    });
    expect(debug.status).toBe(3);
    expect(debug.stderr.split('\n').slice(1, 3)).toEqual([
      expect.stringMatching(/^TypeError: Cannot read/),
      expect.stringMatching(/^ +at Object\.finish/),
    ]);
  });

  // Every call the shell fast path leaves to Node parses it. It grew past 16 KiB with what a hit must
  // check (the bounds of a reply, each copy's digest), past 18 KiB with the hashed copy and the clone
  // tried first on copy-on-write file systems; the limit keeps it from growing unnoticed.
  it('stays small: every compiler call parses it', () => {
    expect(statSync(bundle).size).toBeLessThan(20 * 1024);
  });
});
