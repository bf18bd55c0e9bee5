import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './e2e/harness.js';

/*
 * The folder graph of src/ is the table under "Source layout" in docs/architecture.md: each folder and
 * what it may import. This test reads that table and every import in src/ (tests aside), and fails on
 * an import the table does not allow.
 */

interface Rule {
  /** 'src/cli/' for a folder, 'src/version.ts' for a file. */
  unit: string;
  /** Units it may import; undefined: everything. */
  allowed: Set<string> | undefined;
  /** Units it may import for types only. */
  typesOnly: Set<string>;
  packages: Set<string>;
}

interface Import {
  file: string;
  specifier: string;
  typeOnly: boolean;
}

function unitOf(name: string): string {
  return name === 'version' ? 'src/version.ts' : `src/${name}`;
}

function readRules(markdown: string): Rule[] {
  const section = markdown.slice(markdown.indexOf('## Source layout'));
  // "Every folder may import `errors/`": a unit every row allows.
  const shared = [
    ...(/^Every folder may import ((?:`[^`]+`[ ,and]*)+)/m.exec(section)?.[1]?.matchAll(/`([^`]+)`/g) ?? []),
  ].map(([, name]) => unitOf(name!));
  const rules: Rule[] = [];
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    if (cells.length < 6 || !cells[1]!.startsWith('src/')) continue;
    const [, unit, , mayImport, packages] = cells as [string, string, string, string, string];
    const typesOnly = new Set([...mayImport.matchAll(/`([^`]+)`\s*\(types only\)/g)].map(([, name]) => unitOf(name!)));
    const named = [...mayImport.matchAll(/`([^`]+)`/g)]
      .map(([, name]) => unitOf(name!))
      .filter((name) => !typesOnly.has(name));
    rules.push({
      unit,
      allowed: mayImport === 'everything' ? undefined : new Set([...named, ...shared]),
      typesOnly,
      packages: new Set(
        packages
          .split(',')
          .map((name) => name.trim())
          .filter(Boolean),
      ),
    });
  }
  return rules;
}

/** The most specific unit a path in src/ belongs to (src/compiler/rustc/ before src/compiler/). */
function unitFor(rules: Rule[], path: string): Rule | undefined {
  return rules
    .filter((rule) => (rule.unit.endsWith('/') ? path.startsWith(rule.unit) : path === rule.unit))
    .sort((a, b) => b.unit.length - a.unit.length)[0];
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

function importsOf(file: string, text: string): Import[] {
  const found: Import[] = [];
  for (const match of text.matchAll(
    /(?:^|\n)\s*(?:import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/g,
  )) {
    found.push({ file, specifier: match[2]!, typeOnly: match[1] !== undefined });
  }
  for (const match of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    // `typeof import('x')` names a type; a bare import('x') loads it.
    const before = text.slice(Math.max(0, match.index - 7), match.index);
    found.push({ file, specifier: match[1]!, typeOnly: before === 'typeof ' });
  }
  return found;
}

function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** What is wrong with one import, or undefined when the table allows it. */
function violation(rules: Rule[], found: Import): string | undefined {
  const from = relative(REPO, found.file);
  const rule = unitFor(rules, from);
  const where = `${from} imports '${found.specifier}'`;
  if (!rule)
    return `${where}: ${from} is in no row of the "Source layout" table of docs/architecture.md; add its folder there`;
  if (found.specifier.startsWith('node:')) return undefined;
  if (!found.specifier.startsWith('.')) {
    const name = packageOf(found.specifier);
    if (rule.allowed === undefined || rule.packages.has(name)) return undefined;
    return `${where}: the row of ${rule.unit} allows the packages [${[...rule.packages].join(', ')}], not ${name}`;
  }
  const target = relative(REPO, resolve(dirname(found.file), found.specifier)).replace(/\.js$/, '.ts');
  const targetRule = unitFor(rules, target) ?? unitFor(rules, target.replace(/\.ts$/, '.tsx'));
  if (!targetRule) return `${where}: ${target} is in no row of the table`;
  if (targetRule.unit === rule.unit || rule.allowed === undefined || rule.allowed.has(targetRule.unit))
    return undefined;
  if (found.typeOnly && rule.typesOnly.has(targetRule.unit)) return undefined;
  const allows = [...(rule.allowed ?? [])].map((unit) => unit.replace(/^src\//, '')).join(' ') || 'nothing';
  const typesOnly = rule.typesOnly.has(targetRule.unit)
    ? ` (${targetRule.unit} for types only: write 'import type')`
    : '';
  return `${where} (${targetRule.unit}): the row of ${rule.unit} in docs/architecture.md allows ${allows}${typesOnly}`;
}

describe('the folder graph of src/ (docs/architecture.md, "Source layout")', () => {
  const rules = readRules(readFileSync(join(REPO, 'docs', 'architecture.md'), 'utf8'));

  it('is a table with a row for every folder in src/', () => {
    expect(rules.length).toBeGreaterThan(10);
    const folders = readdirSync(join(REPO, 'src'), { withFileTypes: true }).map(
      (entry) => `src/${entry.name}${entry.isDirectory() ? '/' : ''}`,
    );
    expect(folders.filter((folder) => !rules.some((rule) => rule.unit === folder))).toEqual([]);
  });

  it('holds for every import in src/', () => {
    const problems = sourceFiles(join(REPO, 'src')).flatMap((file) =>
      importsOf(file, readFileSync(file, 'utf8'))
        .map((found) => violation(rules, found))
        .filter(Boolean),
    );
    expect(problems).toEqual([]);
  });

  it('names the file, the import and the rule of a forbidden import', () => {
    const file = join(REPO, 'src', 'config', 'schema.ts');
    expect(violation(rules, { file, specifier: '../compiler/rustc/crate-kind.js', typeOnly: false })).toBe(
      "src/config/schema.ts imports '../compiler/rustc/crate-kind.js' (src/compiler/rustc/): the row of src/config/ in docs/architecture.md allows protocol/ errors/",
    );
    // errors/ is every folder's, and imports nothing itself.
    expect(
      violation(rules, {
        file: join(REPO, 'src', 'stats', 'format.ts'),
        specifier: '../errors/hoard-error.js',
        typeOnly: false,
      }),
    ).toBeUndefined();
    expect(
      violation(rules, {
        file: join(REPO, 'src', 'errors', 'report.ts'),
        specifier: '../protocol/locations.js',
        typeOnly: false,
      }),
    ).toMatch(/the row of src\/errors\/ in docs\/architecture.md allows errors\//);
    const cc = join(REPO, 'src', 'compiler', 'cc', 'compiler-identity.ts');
    expect(violation(rules, { file: cc, specifier: '../rustc/toolchain.js', typeOnly: false })).toMatch(
      /the row of src\/compiler\/cc\//,
    );
    expect(
      violation(rules, { file: join(REPO, 'src', 'stats', 'format.ts'), specifier: 'zod', typeOnly: false }),
    ).toMatch(/allows the packages \[\], not zod/);
    const protocol = join(REPO, 'src', 'protocol', 'messages.ts');
    expect(violation(rules, { file: protocol, specifier: '../stats/snapshot.js', typeOnly: true })).toBeUndefined();
    expect(violation(rules, { file: protocol, specifier: '../stats/snapshot.js', typeOnly: false })).toMatch(
      /for types only/,
    );
  });

  it('reads imports of every form', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      'import {',
      '  c,',
      '  d,',
      "} from '../c.js';",
      "export { e } from './e.js';",
      "export type { F } from './f.js';",
      "const g = await import('../g.js');",
      "type H = typeof import('node:h');",
      "import 'side-effect';",
    ].join('\n');
    expect(
      importsOf('x.ts', text).map(({ specifier, typeOnly }) => `${specifier}${typeOnly ? ' (type)' : ''}`),
    ).toEqual([
      './a.js',
      '../b.js (type)',
      '../c.js',
      './e.js',
      './f.js (type)',
      'side-effect',
      '../g.js',
      'node:h (type)',
    ]);
  });
});
