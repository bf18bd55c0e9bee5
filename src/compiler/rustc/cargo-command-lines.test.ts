import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyRustc } from './args.js';
import { LINKED_CRATE_KINDS, rustCrateKind } from './crate-kind.js';

/** Real rustc calls as cargo 1.95 handed them to RUSTC_WRAPPER (test/fixtures/cargo-command-lines.txt). */
interface RecordedCall {
  description: string;
  cwd: string;
  args: string[];
}

function recordedCalls(): RecordedCall[] {
  const text = readFileSync(
    join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'cargo-command-lines.txt'),
    'utf8',
  );
  const calls: RecordedCall[] = [];
  let description = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('# ') && line.includes('| cwd:')) description = line.slice(2);
    if (!line.startsWith('[')) continue;
    const [, ...args] = JSON.parse(line) as string[];
    const cwd = description.split('| cwd: ')[1]!.replace('$WORKSPACE', '/ws');
    calls.push({
      description,
      cwd,
      args: args.map((arg) => arg.replaceAll('$TARGET', '/ws/target').replaceAll('$WORKSPACE', '/ws')),
    });
  }
  return calls;
}

/** The kind of each recorded call, by what its description says it is; the first pattern that matches wins. */
const KINDS: Array<[RegExp, string | undefined]> = [
  [/version probe|target-info probe/, undefined],
  [/harness/, 'rust test'],
  [/anyhow's build script probing|registry lib|workspace (member )?lib|syn with|tokio/, 'rust library'],
  [/build script/, 'rust build script'],
  [/proc-macro/, 'rust proc-macro'],
  [/binary/, 'rust binary'],
];

function expectedOutcome(call: RecordedCall): string {
  if (/version probe|target-info probe/.test(call.description)) return 'not-compilation';
  // A probe that compiles metadata only, without dep-info: the cache could not verify a hit.
  if (call.description.includes("anyhow's build script probing")) return 'not-cacheable missing-dep-info';
  // Recorded without CARGO_INCREMENTAL=0: cargo compiles the workspace's own crates incrementally in dev builds.
  if (call.args.some((arg) => arg.startsWith('incremental='))) return 'not-cacheable incremental';
  return 'cacheable';
}

describe('real cargo command lines', () => {
  const calls = recordedCalls();

  it('has the recorded calls, every kind among them, incremental ones too', () => {
    expect(calls.length).toBeGreaterThanOrEqual(30);
    for (const [pattern] of KINDS) expect(calls.some((call) => pattern.test(call.description))).toBe(true);
    expect(calls.filter((call) => expectedOutcome(call) === 'not-cacheable incremental').length).toBeGreaterThan(3);
  });

  it.each(calls.map((call) => [call.description, call] as const))('%s', (_description, call) => {
    const [, expectedKind] = KINDS.find(([pattern]) => pattern.test(call.description))!;
    const classification = classifyRustc(
      call.args,
      call.cwd,
      () => {
        throw new Error('no argfiles in these calls');
      },
      LINKED_CRATE_KINDS,
    );
    const got =
      classification.kind === 'not-cacheable' ? `not-cacheable ${classification.reason}` : classification.kind;
    expect(got).toBe(expectedOutcome(call));
    if (classification.kind !== 'not-compilation') expect(rustCrateKind(call.args)).toBe(expectedKind);
    if (classification.kind === 'cacheable') {
      expect(classification.compile.outDir.startsWith('/')).toBe(true);
      expect(classification.compile.emits).toContain('dep-info');
    }
  });
});
