import { describe, expect, it } from 'vitest';
import type { Difference } from '../why/differences.js';
import type { CompileRecord, SavedHistory } from '../why/history.js';
import { missCauseChecks } from './doctor-miss-causes.js';

function miss(
  at: number,
  cause: NonNullable<CompileRecord['explanation']>['cause'],
  differences: Difference[],
  baseDirsWouldHit = false,
): CompileRecord {
  return {
    at,
    build: at,
    outcome: 'miss',
    worktree: { id: 'a', root: '/w/a' },
    direct: 'k',
    explanation: { cause, differences, ...(baseDirsWouldHit ? { baseDirsWouldHit } : {}) },
  };
}

function history(records: CompileRecord[]): SavedHistory {
  return {
    format: 1,
    units: records.map((record, index) => ({
      unit: `u${index}`,
      name: `crate${index}`,
      kind: 'rust library',
      path: 'src/lib.rs',
      records: [record],
    })),
    keys: { k: [] },
  };
}

const FLAG_ADDED: Difference = {
  cause: 'arguments',
  input: 'argument',
  name: '--cfg=shell_only',
  old: null,
  new: '--cfg=shell_only',
};
const FLAG_REMOVED: Difference = { ...FLAG_ADDED, old: '--cfg=shell_only', new: null };

describe('missCauseChecks', () => {
  it('says nothing without misses', () => {
    expect(missCauseChecks({ whyHistory: history([]) })).toEqual([]);
  });

  it('warns when two builds take turns with a flag, naming it, and lists the top causes with advice', () => {
    const checks = missCauseChecks({
      whyHistory: history([
        miss(1, 'arguments', [FLAG_ADDED]),
        miss(2, 'arguments', [FLAG_REMOVED]),
        miss(3, 'arguments', [FLAG_ADDED]),
        miss(4, 'sources', []),
      ]),
    });
    expect(checks[0]).toMatchObject({ id: 'misses', status: 'warn' });
    expect(checks[0]!.message).toContain('--cfg=shell_only');
    expect(checks[0]!.message).toContain('RUSTFLAGS');
    expect(checks[1]).toMatchObject({ status: 'info' });
    expect(checks[1]!.message).toMatch(/^3 of the last 4 misses: arguments — the compiler flags changed/);
    expect(checks[2]!.message).toMatch(/^1 of the last 4 misses: sources — your edits: expected/);
  });

  it('counts misses that base directories would have turned into hits, as a warning while they are off', () => {
    const checkout: Difference = {
      cause: 'location',
      input: 'checkout',
      name: 'checkout path',
      old: '/w/a',
      new: '/w/b',
    };
    const whyHistory = history([miss(1, 'location', [checkout], true), miss(2, 'location', [checkout], true)]);
    const checks = missCauseChecks({ whyHistory });
    expect(checks).toEqual([
      {
        id: 'misses',
        status: 'warn',
        message: expect.stringContaining('2 of them would have hit with base directories'),
      },
    ]);
    expect(checks[0]!.message).toContain('hoard config set basedirs auto');
  });
});
