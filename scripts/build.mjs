// Builds dist/: the wrapper as a small CommonJS file with Node built-ins only, but for the hasher of a
// hit's copies (it runs once per compiler call; what it needs beyond a hit over a lane is a second one),
// and the command-line tool and server as ESM that load their dependencies.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';

// package.json is the one source of the version and of where bugs are reported (src/errors/bugs-url.ts).
const { version, bugs } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: false,
  logLevel: 'warning',
  define: { __HOARD_VERSION__: JSON.stringify(version), __HOARD_BUGS_URL__: JSON.stringify(bugs.url) },
};

// The CommonJS files load the hasher of restored copies (src/fs/content-hash.ts) from the install's
// node_modules, by the path of the file itself, only when a hit has copies to check.
const commonJs = { ...common, define: { ...common.define, 'import.meta.url': '__filename' } };

// What a call needs beyond a hit over a lane (SlowPath in src/wrapper/call.ts), required only then.
// Written first: a wrapper started during a rebuild finds the new one beside the new hoard.cjs.
await build({
  ...commonJs,
  entryPoints: ['src/wrapper/slow-path.ts'],
  outfile: 'dist/wrapper-slow-path.cjs',
  format: 'cjs',
});
await build({
  ...commonJs,
  entryPoints: ['src/bin/hoard.ts'],
  outfile: 'dist/hoard.cjs',
  format: 'cjs',
  // Every compiler call parses it: without blanks it costs fewer instructions (docs/decisions.md), and it
  // keeps its names, so an internal error's stack still reads.
  minifyWhitespace: true,
  minifySyntax: true,
  // Anything that is not a Node built-in would be bundled in; the test in src/bin checks there is none.
});
const esm = { ...common, outdir: 'dist', outExtension: { '.js': '.mjs' }, format: 'esm', packages: 'external' };
// The server stays one self-contained file, beside the scripts of its hashing threads and of its sh lanes' watchdog.
await build({
  ...esm,
  entryPoints: {
    server: 'src/bin/server.ts',
    'hash-worker': 'src/hash/hash-worker.ts',
    'sh-watchdog': 'src/server/sh-watchdog-process.ts',
  },
});
// The dashboard (ink, react) is imported only when it opens: splitting the CLI keeps it in a file of its
// own under dist/chunks/, so `hoard stats --json` and every other command never load it.
rmSync('dist/chunks', { recursive: true, force: true });
await build({
  ...esm,
  entryPoints: { cli: 'src/bin/cli.ts' },
  jsx: 'automatic',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
});
