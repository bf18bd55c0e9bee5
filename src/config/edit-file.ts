import { parse } from 'smol-toml';
import { HoardError } from '../errors/hoard-error.js';

/**
 * Sets one top-level key in the text of a TOML file, keeping every other line, the comments and the
 * layout: smol-toml can parse and stringify, but stringify drops comments. The edit is checked by
 * parsing the result, which must equal the old document with only that key changed.
 */
export interface KeyEdit {
  text: string;
  /** What happened, for the user: the line replaced, or where the key was added. */
  change: 'replaced' | 'added';
  /** The value's old text as written in the file, if it was there. */
  previous?: string;
}

export class EditError extends HoardError {
  override name = 'EditError';
  override readonly code = 'config-edit';
}

const TABLE_HEADER = /^\s*\[/;

function keyPattern(key: string): RegExp {
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^(\\s*)(?:${escaped}|"${escaped}"|'${escaped}')(\\s*=\\s*)`);
}

/**
 * Where a value that starts at `text[start]` ends, and where a comment after it starts: quotes and
 * brackets are followed so that a `#` inside a string does not count. The value may run over several
 * lines (an array).
 */
function scanValue(text: string, start: number): { end: number; commentStart: number } {
  let depth = 0;
  let quote: '"' | "'" | undefined;
  let index = start;
  for (; index < text.length; index += 1) {
    const char = text[index]!;
    if (quote) {
      if (char === '\\' && quote === '"') index += 1;
      else if (char === quote) quote = undefined;
      continue;
    }
    if (char === '"' || char === "'") quote = char;
    else if (char === '[' || char === '{') depth += 1;
    else if (char === ']' || char === '}') depth -= 1;
    else if (char === '#') {
      if (depth <= 0) break;
      // A comment inside a multi-line array: skip to its end of line.
      const newline = text.indexOf('\n', index);
      index = (newline === -1 ? text.length : newline) - 1;
    } else if (char === '\n' && depth <= 0) break;
  }
  let end = index;
  while (end > start && /[ \t]/.test(text[end - 1]!)) end -= 1;
  return { end, commentStart: index };
}

/** JSON with object keys sorted: two documents that say the same thing give the same text. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value instanceof Date || typeof value !== 'object' || value === null) return JSON.stringify(value);
  const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonical(inner)}`).join(',')}}`;
}

function sameDocument(actual: Record<string, unknown>, expected: Record<string, unknown>): boolean {
  return canonical(actual) === canonical(expected);
}

/** `value` as TOML: strings and arrays of strings are written as JSON writes them, which TOML reads. */
export function tomlValue(value: string | number | boolean | string[]): string {
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
}

type TomlScalar = string | number | boolean | string[];

function checked(edit: KeyEdit, what: string, expected: Record<string, unknown>): KeyEdit {
  let after: Record<string, unknown>;
  try {
    after = parse(edit.text) as Record<string, unknown>;
  } catch (error) {
    throw new EditError(`editing ${what} in place would break the file (${(error as Error).message.split('\n')[0]})`);
  }
  if (!sameDocument(after, expected)) throw new EditError(`editing ${what} in place would change other settings`);
  return edit;
}

/** Replaces the value on the line that `match` found at `offset`, keeping what follows it (a comment). */
function replaceAt(text: string, offset: number, match: RegExpExecArray, newValue: string): KeyEdit {
  const valueStart = offset + match[0].length;
  const { end } = scanValue(text, valueStart);
  return {
    text: `${text.slice(0, valueStart)}${newValue}${text.slice(end)}`,
    change: 'replaced',
    previous: text.slice(valueStart, end),
  };
}

/**
 * Sets `key` in the table `[table]` (cargo's `[build] rustc-wrapper`), adding the key under the
 * header, or the table at the end of the file.
 */
export function setTableKey(text: string, table: string, key: string, value: TomlScalar): KeyEdit {
  const before = parse(text) as Record<string, unknown>;
  const newValue = tomlValue(value);
  const header = new RegExp(`^\\s*\\[\\s*${table.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*\\]\\s*(#.*)?$`);
  const pattern = keyPattern(key);
  const lines = text.split('\n');
  let offset = 0;
  let inTable = false;
  let edit: KeyEdit | undefined;
  for (const line of lines) {
    if (TABLE_HEADER.test(line)) {
      if (inTable) break;
      if (header.test(line)) {
        inTable = true;
        const afterHeader = offset + line.length + 1;
        edit = {
          text: `${text.slice(0, afterHeader)}${key} = ${newValue}\n${text.slice(afterHeader)}`,
          change: 'added',
        };
      }
    } else if (inTable) {
      const match = pattern.exec(line);
      if (match) {
        edit = replaceAt(text, offset, match, newValue);
        break;
      }
    }
    offset += line.length + 1;
  }
  if (!edit) {
    const separator = text.length === 0 ? '' : text.endsWith('\n') ? '\n' : '\n\n';
    edit = { text: `${text}${separator}[${table}]\n${key} = ${newValue}\n`, change: 'added' };
  }
  const tableBefore = (before[table] ?? {}) as Record<string, unknown>;
  const expected = { ...before, [table]: { ...tableBefore, [key]: parse(`v = ${newValue}`).v } };
  return checked(edit, `[${table}] ${key}`, expected);
}

export function setTopLevelKey(text: string, key: string, value: TomlScalar): KeyEdit {
  const before = parse(text) as Record<string, unknown>;
  const newValue = tomlValue(value);
  const lines = text.split('\n');
  const pattern = keyPattern(key);
  let offset = 0;
  let edit: KeyEdit | undefined;
  for (let lineIndex = 0; lineIndex < lines.length; lineIndex += 1) {
    const line = lines[lineIndex]!;
    if (TABLE_HEADER.test(line)) {
      // Top-level keys must come before the first table: add the key just above it.
      const at = offset;
      edit = { text: `${text.slice(0, at)}${key} = ${newValue}\n${text.slice(at)}`, change: 'added' };
      break;
    }
    const match = pattern.exec(line);
    if (match) {
      edit = replaceAt(text, offset, match, newValue);
      break;
    }
    offset += line.length + 1;
  }
  if (!edit) {
    const separator = text.length === 0 || text.endsWith('\n') ? '' : '\n';
    edit = { text: `${text}${separator}${key} = ${newValue}\n`, change: 'added' };
  }
  return checked(edit, key, { ...before, [key]: parse(`v = ${newValue}`).v });
}
