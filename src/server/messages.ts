import { z } from 'zod';

/** Validation of what clients send: a malformed message gets a one-line error, never a crash. */
export const envelopeSchema = z.object({ v: z.number().int(), type: z.string() }).passthrough();

export const compileRequestSchema = z.object({
  v: z.number(),
  type: z.literal('compile'),
  cwd: z.string().startsWith('/'),
  argv: z.array(z.string()).min(1),
  env: z.record(z.string(), z.string()),
});

export const storeRequestSchema = z.object({
  v: z.number(),
  type: z.literal('store'),
  exitCode: z.number().int(),
  stdout: z.string(),
  stderr: z.string(),
  durationMs: z.number().nonnegative(),
});

export const restoredReportSchema = z.object({
  v: z.number(),
  type: z.literal('restored'),
  identities: z.array(z.string()),
});

export const restoreFailedReportSchema = z.object({
  v: z.number(),
  type: z.literal('restore-failed'),
  message: z.string(),
});

export function describeInvalid(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || 'message'}: ${issue.message}` : 'invalid message';
}
