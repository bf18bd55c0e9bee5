import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FLAG_ALIASES } from './command-names.js';
import { commandHelp, HELP } from './help.js';

const CLI_DIR = import.meta.dirname;

/**
 * Every flag a command compares its arguments with, read from the commands' source: a flag added to a
 * command and not to the help fails here.
 */
function flagsInCommands(): Map<string, string> {
  const flags = new Map<string, string>();
  for (const file of readdirSync(CLI_DIR).filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'))) {
    for (const [, flag] of readFileSync(join(CLI_DIR, file), 'utf8').matchAll(/'(--[a-z][a-z-]*)(?:=)?'/g))
      flags.set(flag!, file);
  }
  return flags;
}

describe('hoard --help', () => {
  it('names every flag the commands accept', () => {
    const flags = flagsInCommands();
    // The reading above must find the flags it is there for, or it proves nothing.
    expect([...flags.keys()]).toEqual(
      expect.arrayContaining([
        '--json',
        '--rewrite',
        '--replace-wrapper',
        '--keep-incremental',
        '--size',
        '--log-level',
      ]),
    );
    const missing = [...flags].filter(([flag]) => !new RegExp(`(^|[\\s\\[|(,])${flag}(?![a-z-])`, 'm').test(HELP));
    expect(missing.map(([flag, file]) => `${flag} (${file})`)).toEqual([]);
  });

  it('names every alias', () => {
    const missing = Object.keys(FLAG_ALIASES).filter(
      (alias) => !new RegExp(`(^|[\\s\\[|(,])${alias}(?![a-z-])`, 'm').test(HELP),
    );
    expect(missing).toEqual([]);
  });

  it('fits an 110-column terminal', () => {
    for (const line of HELP.split('\n')) expect(line.length, line).toBeLessThanOrEqual(110);
  });
});

describe('hoard COMMAND --help', () => {
  it('shows the usage lines of that command and their continuations, and nothing for an unknown one', () => {
    const stats = commandHelp('stats');
    expect(stats).toContain('hoard stats --zero');
    expect(stats).toContain('w why a compile missed');
    expect(stats).not.toContain('hoard why');
    const init = commandHelp('init');
    expect(init).toContain('[--replace-wrapper]');
    expect(init).toContain('hoard init --cc');
    expect(init).not.toContain('hoard doctor');
    expect(commandHelp('server')).toContain('hoard server status [--json]');
    expect(commandHelp('gcc')).toBeUndefined();
  });
});
