import { z } from 'zod';
import type { CompileRequest, RestoredReport, RestoreFailedReport, StoreRequest } from '../protocol/messages.js';

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
  corrupt: z.boolean().optional(),
});

/**
 * The interfaces in src/protocol/messages.ts are what the wrapper (which may not load zod) and the
 * handlers use; these schemas check what arrives. Each pair must describe the same message: a change
 * to one that is not made to the other fails to compile here.
 */
type Same<A, B> = [A] extends [B]
  ? [B] extends [A]
    ? [keyof A] extends [keyof B]
      ? [keyof B] extends [keyof A]
        ? true
        : false
      : false
    : false
  : false;
function sameShape<_Checked extends true>(): void {}
sameShape<Same<z.infer<typeof compileRequestSchema>, CompileRequest>>();
sameShape<Same<z.infer<typeof storeRequestSchema>, StoreRequest>>();
sameShape<Same<z.infer<typeof restoredReportSchema>, RestoredReport>>();
sameShape<Same<z.infer<typeof restoreFailedReportSchema>, RestoreFailedReport>>();

export function describeInvalid(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || 'message'}: ${issue.message}` : 'invalid message';
}
