import { ENV_VARIABLES } from '../config/env-table.js';
import { loadConfig } from '../config/load.js';
import { maskRemotes, remoteLabel, type RemoteConfig } from '../config/remotes.js';
import { CONFIG_KEYS } from '../config/schema.js';
import { formatBytes, formatDuration } from '../stats/format-units.js';
import { CliError } from './client.js';
import { configSetCommand } from './config-set.js';

function display(key: string, value: unknown): string {
  if (key === 'remotes' && Array.isArray(value)) {
    return value.length === 0
      ? '(none)'
      : (value as RemoteConfig[])
          .map((remote) => `${remoteLabel(remote)}${remote.read_only ? ' (read-only)' : ''}`)
          .join(', ');
  }
  if (key === 'cache_size' && typeof value === 'number') return `${formatBytes(value)} (${value} bytes)`;
  if (Array.isArray(value)) return value.length === 0 ? '(none)' : value.join(', ');
  if (key === 'idle_timeout' && typeof value === 'number') return value === 0 ? 'never' : formatDuration(value * 1000);
  return String(value);
}

/** `hoard config [--json]`: the configuration in force and where each value came from. */
export async function configCommand(args: string[]): Promise<number> {
  if (args[0] === 'set') return configSetCommand(args.slice(1));
  const unknown = args.find((arg) => arg !== '--json');
  if (unknown)
    throw new CliError(
      `'hoard config ${unknown}' is not an option; use 'hoard config [--json]' or 'hoard config set KEY VALUE'.`,
    );
  const loaded = loadConfig(process.env);
  if (args.includes('--json')) {
    process.stdout.write(
      `${JSON.stringify({ file: loaded.file, fileExists: loaded.fileExists, values: { ...loaded.config, remotes: maskRemotes(loaded.config.remotes) }, sources: loaded.sources }, null, 2)}\n`,
    );
    return 0;
  }
  const lines = [`config file: ${loaded.file}${loaded.fileExists ? '' : ' (not present: defaults apply)'}`];
  for (const key of CONFIG_KEYS) {
    const variable = ENV_VARIABLES.find((entry) => entry.key === key)?.variable;
    lines.push(
      `${key.padEnd(14)} ${display(key, loaded.config[key]).padEnd(36)} from ${loaded.sources[key]}${variable ? `  (env ${variable})` : ''}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
