import { z } from 'zod';
import { LINKED_CRATE_KINDS } from './linked-crate-kinds.js';
import { remotesSchema } from './remotes.js';
import { parseDuration, parseSize } from './units.js';

/** How a value that is neither a string nor a number reads in a message: TOML's name for it. */
function describeValue(value: unknown): string {
  if (typeof value === 'boolean') return `the boolean ${value}`;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'a number too large to hold';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return 'a date';
  if (value === null || value === undefined) return 'nothing';
  if (typeof value === 'object') return 'a table';
  return JSON.stringify(value);
}

/**
 * A string or number read by `parse`, within [min, max]; anything else says what it got and what is
 * allowed (zod's own message for a union of types is "Invalid input.").
 */
function unitValue(
  parse: (value: string | number) => number | undefined,
  expected: string,
  bounds: { min: number; max: number; show: (value: number) => string },
) {
  return z.unknown().transform((value, context) => {
    const parsed = typeof value === 'string' || typeof value === 'number' ? parse(value) : undefined;
    if (parsed === undefined || !Number.isFinite(parsed)) {
      context.addIssue({ code: 'custom', message: `expected ${expected}, got ${describeValue(value)}` });
      return z.NEVER;
    }
    if (parsed < bounds.min || parsed > bounds.max) {
      context.addIssue({
        code: 'custom',
        message: `${JSON.stringify(value)} is ${parsed < bounds.min ? 'less' : 'more'} than allowed: use ${bounds.show(bounds.min)} to ${bounds.show(bounds.max)}`,
      });
      return z.NEVER;
    }
    return parsed;
  });
}

/** Below this a cache holds next to nothing and evicts on every store: surely a typo (`cache_size = 0`, "10" meant as GiB). */
export const MIN_CACHE_SIZE = 1024 ** 2;
/** More than any disk a cache lives on; beyond it, the number is a typo. */
export const MAX_CACHE_SIZE = 1024 ** 5;
/** 0 means never; beyond a year it is a typo. */
export const MAX_DURATION_S = 365 * 24 * 3600;

const size = unitValue(parseSize, 'a size such as "10G", "500M" or a number of bytes', {
  min: MIN_CACHE_SIZE,
  max: MAX_CACHE_SIZE,
  show: (bytes) => (bytes >= 1024 ** 4 ? `"${bytes / 1024 ** 4}T"` : `"${bytes / 1024 ** 2}M"`),
});
const duration = unitValue(parseDuration, 'a duration such as "10m", "30s" or a number of seconds (0: never)', {
  min: 0,
  max: MAX_DURATION_S,
  show: (seconds) => (seconds === 0 ? '0' : `"${seconds / 3600}h"`),
});

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
  .transform((value) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((entry) => entry.trim())
          .filter(Boolean)
      : value,
  )
  .pipe(
    z.array(
      z.enum(LINKED_CRATE_KINDS, { message: `expected a list of ${LINKED_CRATE_KINDS.join(', ')} (or [] for none)` }),
    ),
  );

/** zstd levels of the objects sent to remotes: 0 sends them uncompressed; above 19 zstd needs far more memory. */
const compressionLevelMessage =
  'expected a whole number from 0 to 19 (0: uncompressed; 1–3 are fast, higher levels compress a little more, much slower)';
const compressionLevel = z.preprocess(
  (value) => (typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value),
  z
    .number({ message: compressionLevelMessage })
    .int({ message: compressionLevelMessage })
    .min(0, { message: compressionLevelMessage })
    .max(19, { message: compressionLevelMessage }),
);

/** Who may read the cache (src/fs/cache-access.ts applies it): the user alone, or their group too. */
export const CACHE_ACCESS = ['private', 'group'] as const;

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
    cache_access: z
      .enum(CACHE_ACCESS, {
        message: `expected "private" (only you can read the cache, the default) or "group" (your group too, for a cache directory a team shares)`,
      })
      .default('private'),
    cache_dir: z
      .string()
      .refine((path) => path.startsWith('/'), { message: 'expected an absolute directory' })
      .optional(),
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
