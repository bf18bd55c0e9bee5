import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyRustc } from './args.js';
import { rustCrateKind } from './crate-kind.js';

/** Real rustc calls as cargo 1.95 handed them to RUSTC_WRAPPER (test/fixtures/cargo-command-lines.txt). */
interface RecordedCall {
  description: string;
  cwd: string;
  args: string[];
}

function recordedCalls(): RecordedCall[] {
  const text = readFileSync(join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'cargo-command-lines.txt'), 'utf8');
  const calls: RecordedCall[] = [];
  let description = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('# ') && line.includes('| cwd:')) description = line.slice(2);
    if (!line.startsWith('[')) continue;
    const [, ...args] = JSON.parse(line) as string[];
    const cwd = description.split('| cwd: ')[1]!.replace('$WORKSPACE', '/ws');
    calls.push({ description, cwd, args: args.map((arg) => arg.replaceAll('$TARGET', '/ws/target').replaceAll('$WORKSPACE', '/ws')) });
  }
  return calls;
}

/** What each recorded call is, by what its description says it is; the first pattern that matches wins. */
const EXPECTED: Array<[RegExp, string, string | undefined]> = [
  [/version probe|target-info probe/, 'not-compilation', undefined],
  [/--release: workspace lib/, 'cacheable', 'rust library'],
  // Recorded without CARGO_INCREMENTAL=0: cargo's dev profile compiles workspace members incrementally.
  [/harness/, 'not-cacheable crate-type', 'rust test'],
  [/workspace (member )?lib/, 'not-cacheable incremental', 'rust library'],
  [/registry lib|syn with|tokio/, 'cacheable', 'rust library'],
  [/build script/, 'not-cacheable crate-type', 'rust build script'],
  [/proc-macro/, 'not-cacheable crate-type', 'rust proc-macro'],
  [/binary/, 'not-cacheable crate-type', 'rust binary'],
];

describe('real cargo command lines', () => {
  const calls = recordedCalls();

  it('has the recorded calls', () => {
    expect(calls.length).toBeGreaterThanOrEqual(30);
  });

  it.each(calls.map((call) => [call.description, call] as const))('%s', (_description, call) => {
    const [, expectedOutcome, expectedKind] = EXPECTED.find(([pattern]) => pattern.test(call.description))!;
    // The anyhow probe compiles metadata only, without dep-info: a compile, but not one the cache can verify.
    const outcome = call.description.includes("anyhow's build script probing")
      ? 'not-cacheable missing-dep-info'
      : expectedOutcome;
    const classification = classifyRustc(call.args, call.cwd, () => {
      throw new Error('no argfiles in these calls');
    });
    const got = classification.kind === 'not-cacheable' ? `not-cacheable ${classification.reason}` : classification.kind;
    expect(got).toBe(outcome);
    if (classification.kind !== 'not-compilation') expect(rustCrateKind(call.args)).toBe(call.description.includes('anyhow') ? 'rust library' : expectedKind);
    if (classification.kind === 'cacheable') {
      expect(classification.compile.outDir.startsWith('/')).toBe(true);
      expect(classification.compile.emits).toContain('dep-info');
    }
  });
});
