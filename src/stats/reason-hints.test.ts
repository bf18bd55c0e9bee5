import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NOT_CACHEABLE_REASONS } from '../compiler/classification.js';
import { REASON_HINTS } from './format.js';

const TROUBLESHOOTING = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'troubleshooting.md'), 'utf8');

/** The rows of troubleshooting.md's reasons table: reason → [what it means, what to do]. */
function documentedReasons(): Map<string, string[]> {
  const section = TROUBLESHOOTING.slice(TROUBLESHOOTING.indexOf('## Why a compile was not cached'));
  const rows = new Map<string, string[]>();
  for (const [, reason, cells] of section
    .slice(0, section.indexOf('\n## ', 1))
    .matchAll(/^\| \*\*([a-z-]+)\*\* \|(.*)\|$/gm)) {
    rows.set(
      reason!,
      cells!.split(' | ').map((cell) => cell.trim()),
    );
  }
  return rows;
}

describe('every reason a compile is not cached', () => {
  it('has a one-line hint for hoard stats, the dashboard and doctor', () => {
    expect(NOT_CACHEABLE_REASONS.filter((reason) => !REASON_HINTS[reason])).toEqual([]);
    expect(
      Object.keys(REASON_HINTS).filter((reason) => !(NOT_CACHEABLE_REASONS as readonly string[]).includes(reason)),
    ).toEqual([]);
  });

  it('is explained in docs/troubleshooting.md, with what to do', () => {
    const rows = documentedReasons();
    expect(NOT_CACHEABLE_REASONS.filter((reason) => !rows.has(reason))).toEqual([]);
    for (const [reason, cells] of rows) {
      expect(NOT_CACHEABLE_REASONS, reason).toContain(reason);
      expect(cells.length, reason).toBe(2);
      for (const cell of cells) expect(cell.length, reason).toBeGreaterThan(5);
    }
  });
});
