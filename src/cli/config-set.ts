import { makeDirectorySync } from '../fs/make-directory.js';
import { lstatSync, readFileSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { parse, stringify } from 'smol-toml';
import { EditError, setTopLevelKey, tomlValue, type KeyEdit } from '../config/edit-file.js';
import { ENV_VARIABLES } from '../config/env-table.js';
import { configFilePath, parseConfigText, validateConfigText } from '../config/load.js';
import { CONFIG_KEYS, configSchema, type ConfigKey } from '../config/schema.js';
import { writeAtomically } from '../fs/write-atomically.js';
import { askServerData, CliError } from './client.js';

const NEW_FILE_HEADER =
  '# hoard configuration: every key, its environment variable and default are in docs/configuration.md\n';
const DEFAULTS = configSchema.parse({}) as Record<string, unknown>;

/** The value as the file should hold it: lists for list keys, plain numbers as numbers. */
export function fileValue(key: ConfigKey, value: string): string | number | string[] {
  if (Array.isArray(DEFAULTS[key]))
    return value
      .split(/[:,]/)
      .map((part) => part.trim())
      .filter(Boolean);
  if (typeof DEFAULTS[key] === 'number' && /^\d+$/.test(value.trim())) return Number(value.trim());
  return value;
}

function readExisting(file: string): string | undefined {
  let info: Stats;
  try {
    info = lstatSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(`${file}: ${(error as Error).message}`);
  }
  if (info.isSymbolicLink()) {
    // home-manager links the file into the Nix store: replacing the link would take it out of its hands.
    throw new CliError(
      `${file} is a link to ${readlinkSync(file)} (managed elsewhere, e.g. by home-manager); change the setting where that file comes from.`,
    );
  }
  return readFileSync(file, 'utf8');
}

function rewritten(text: string, key: ConfigKey, value: string | number | string[]): KeyEdit {
  const document = { ...(parse(text) as Record<string, unknown>), [key]: value };
  return { text: `${NEW_FILE_HEADER}${stringify(document)}\n`, change: 'replaced' };
}

function whenItApplies(key: ConfigKey, server: { pid: number } | undefined): string {
  if (!server) return 'the server reads it when it starts (the next compile starts one)';
  if (key === 'cache_access')
    return `the running server (pid ${server.pid}) keeps its file modes; 'hoard server stop' and the next compile starts one with the new ones`;
  if (key === 'cache_dir')
    return `the running server (pid ${server.pid}) keeps its cache directory; 'hoard server stop' and the next compile starts one in the new place`;
  return `the running server (pid ${server.pid}) applies it within a second`;
}

/** `hoard config set [--rewrite] KEY VALUE`: one key changed in the config file, the rest kept as written. */
export async function configSetCommand(args: string[]): Promise<number> {
  const rewrite = args.includes('--rewrite');
  const [key, value, ...extra] = args.filter((arg) => arg !== '--rewrite');
  if (key === undefined || value === undefined || extra.length > 0) {
    throw new CliError(
      `use 'hoard config set KEY VALUE', e.g. 'hoard config set cache_size 20G'; keys: ${CONFIG_KEYS.join(', ')}.`,
    );
  }
  if (!(CONFIG_KEYS as string[]).includes(key))
    throw new CliError(`'${key}' is not a config key; keys: ${CONFIG_KEYS.join(', ')}.`);
  const configKey = key as ConfigKey;
  const newValue = fileValue(configKey, value);
  const checked = configSchema.shape[configKey].safeParse(newValue);
  if (!checked.success)
    throw new CliError(`${key} ${JSON.stringify(value)}: ${checked.error.issues[0]!.message}; nothing was written.`);

  const file = configFilePath(process.env);
  const existing = readExisting(file);
  if (existing !== undefined) parseConfigText(existing, file);
  let edit: KeyEdit;
  let rewroteWholeFile = false;
  try {
    edit =
      existing === undefined
        ? { text: `${NEW_FILE_HEADER}${key} = ${tomlValue(newValue)}\n`, change: 'added' }
        : setTopLevelKey(existing, key, newValue);
  } catch (error) {
    if (!(error instanceof EditError) || !rewrite) {
      throw new CliError(
        `${file}: ${(error as Error).message}; change that line yourself, or run 'hoard config set --rewrite ${key} ${value}' to rewrite the whole file (its comments are lost).`,
      );
    }
    edit = rewritten(existing!, configKey, newValue);
    rewroteWholeFile = true;
  }
  validateConfigText(edit.text, file);
  makeDirectorySync(dirname(file));
  await writeAtomically(file, edit.text, existing === undefined ? {} : { mode: statSync(file).mode & 0o777 });

  const was = existing === undefined ? 'new file' : edit.previous !== undefined ? `was ${edit.previous}` : 'added';
  const lines = [
    `${file}: ${key} = ${tomlValue(newValue)} (${was})${rewroteWholeFile ? '; the whole file was rewritten, without its comments' : ''}`,
  ];
  const server = await askServerData('status').catch(() => undefined);
  lines.push(whenItApplies(configKey, server));
  const variable = ENV_VARIABLES.find((entry) => entry.key === configKey)?.variable;
  if (variable && process.env[variable]) {
    lines.push(
      `note: ${variable}=${process.env[variable]} is set in this shell and beats the file for a server started from here`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
