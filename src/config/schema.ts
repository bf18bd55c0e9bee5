import { z } from 'zod';
import { LINKED_CRATE_KINDS } from './linked-crate-kinds.js';
import { remotesSchema } from './remotes.js';
import { parseDuration, parseSize } from './units.js';

/** A string or number read by `parse`, with `expected` as the message when it cannot be. */
function unitValue(parse: (value: string | number) => number | undefined, expected: string) {
  return z.union([z.string(), z.number()]).transform((value, context) => {
    const parsed = parse(value);
    if (parsed === undefined) {
      context.addIssue({ code: 'custom', message: `expected ${expected}, got ${JSON.stringify(value)}` });
      return z.NEVER;
    }
    return parsed;
  });
}

const size = unitValue(parseSize, 'a size such as "10G", "500M" or a number of bytes');
const duration = unitValue(parseDuration, 'a duration such as "10m", "30s" or a number of seconds');

const directories = z
  .union([z.string(), z.array(z.string())])
  .transform((value) => (typeof value === 'string' ? value.split(':').filter(Boolean) : value))
  .pipe(
    z.array(
      z.string().refine((entry) => entry === 'auto' || entry.startsWith('/'), {
        message: 'expected absolute directories or "auto" (the root of the git worktree a compile belongs to)',
      }),
    ),
  );

const linkedKinds = z
  .union([z.string(), z.array(z.string())])
  .transform((value) => (typeof value === 'string' ? value.split(',').map((entry) => entry.trim()).filter(Boolean) : value))
  .pipe(z.array(z.enum(LINKED_CRATE_KINDS, { message: `expected a list of ${LINKED_CRATE_KINDS.join(', ')} (or [] for none)` })));

/** zstd levels of the objects sent to remotes: 0 sends them uncompressed; above 19 zstd needs far more memory. */
const compressionLevelMessage = 'expected a whole number from 0 to 19 (0: uncompressed; 1–3 are fast, higher levels compress a little more, much slower)';
const compressionLevel = z.preprocess(
  (value) => (typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value),
  z.number({ message: compressionLevelMessage }).int({ message: compressionLevelMessage }).min(0, { message: compressionLevelMessage }).max(19, { message: compressionLevelMessage }),
);

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Every option of the config file. Defaults live here and nowhere else; docs/configuration.md lists
 * the same options with their environment variables.
 */
export const configSchema = z
  .object({
    basedirs: directories.default([]),
    // Relative to what? The server, the CLI and every wrapper run in different directories.
    cache_dir: z.string().refine((path) => path.startsWith('/'), { message: 'expected an absolute directory' }).optional(),
    cache_size: size.default(10 * 1024 ** 3),
    compression_level: compressionLevel.default(3),
    idle_timeout: duration.default(600),
    linked_crates: linkedKinds.default([...LINKED_CRATE_KINDS]),
    log_level: z.enum(LOG_LEVELS).default('info'),
    // Shared caches behind the local disk, in the order they are asked (docs/remote.md).
    remotes: remotesSchema.default([]),
  })
  .strict();

export type Config = z.output<typeof configSchema>;
export type ConfigKey = keyof Config;
export const CONFIG_KEYS = Object.keys(configSchema.shape) as ConfigKey[];
