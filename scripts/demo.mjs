// The main job on a new machine: build the sample workspace in examples/demo through hoard, clean,
// build it again, and show what the cache did. Uses your default cache ($XDG_CACHE_HOME/hoard).
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const hoard = join(repo, 'bin', 'hoard');
const demo = join(repo, 'examples', 'demo');

if (spawnSync('cargo', ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.error(
    "demo: cargo is not on PATH. Install Rust (https://rustup.rs or your distribution's rustc and cargo packages) and run again.",
  );
  process.exit(1);
}

const env = { ...process.env, RUSTC_WRAPPER: hoard, CARGO_INCREMENTAL: '0' };
function build(label) {
  const started = performance.now();
  const result = spawnSync('cargo', ['build', '--quiet'], { cwd: demo, env, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) process.exit(result.status ?? 1);
  console.log(`${label}: ${((performance.now() - started) / 1000).toFixed(2)} s`);
}

console.log(`Building ${demo} with RUSTC_WRAPPER=${hoard}\n`);
spawnSync('cargo', ['clean', '--quiet'], { cwd: demo, stdio: 'inherit' });
execFileSync(hoard, ['stats', '--zero'], { stdio: 'ignore' });
build('first build (fills the cache unless an earlier run did)');
spawnSync('cargo', ['clean', '--quiet'], { cwd: demo, stdio: 'inherit' });
build('second build after cargo clean (restored from the cache)');
console.log('\nhoard stats:');
execFileSync(hoard, ['stats'], { stdio: 'inherit' });
console.log('\nUse it for your own projects: export RUSTC_WRAPPER=hoard CARGO_INCREMENTAL=0 (see README.md).');
