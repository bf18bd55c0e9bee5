import { basename } from 'node:path';
import type { CcCompilerIdentity } from '../compiler/cc/compiler-identity.js';
import type { CompileRequest } from '../protocol/messages.js';
import { answerCompile, type CompilerHandler, type SharedCompileDependencies } from './compiler-handler.js';
import type { Exchange } from './exchange.js';
import {
  compileRequestSchema,
  describeInvalid,
  restoredReportSchema,
  restoreFailedReportSchema,
  storeRequestSchema,
} from './messages.js';

/** What may follow a compile request on its conversation; a malformed one counts as none. */
const followUpSchemas = {
  store: storeRequestSchema,
  restored: restoredReportSchema,
  'restore-failed': restoreFailedReportSchema,
};

export interface CompileRequestDependencies extends SharedCompileDependencies {
  /** rustc and clippy-driver, known by name. */
  rust: CompilerHandler<unknown, unknown>;
  /** Any other compiler that says it is gcc or clang. */
  cc: { forCompiler(identity: CcCompilerIdentity): CompilerHandler<unknown, unknown> };
  /** Asks a compiler that is not rustc what it is (once per binary): gcc and clang are C/C++. */
  identifyCc(compiler: string, cwd: string, env: Record<string, string>): Promise<CcCompilerIdentity | undefined>;
}

/**
 * The client's messages after the request, each validated: a malformed one is as if none came. What
 * else the exchange says of its client (givenUp) is kept.
 */
export function checkedExchange(exchange: Exchange): Exchange {
  return {
    ...exchange,
    next: async (timeoutMs) => {
      const next = await exchange.next(timeoutMs);
      const schema =
        next && Object.hasOwn(followUpSchemas, next.type)
          ? followUpSchemas[next.type as keyof typeof followUpSchemas]
          : undefined;
      if (schema && !schema.safeParse(next).success) return undefined;
      return next;
    },
  };
}

/** The handler of `compile`: validates the request and hands it to its compiler's handler. */
export function compileRequestHandler(
  deps: CompileRequestDependencies,
): (message: CompileRequest, exchange: Exchange) => Promise<void> {
  return async (message, exchange) => {
    const parsed = compileRequestSchema.safeParse(message);
    if (!parsed.success) {
      exchange.reply({ type: 'error', message: `invalid compile request: ${describeInvalid(parsed.error)}` });
      return;
    }
    const request = parsed.data;
    const checked = checkedExchange(exchange);
    // rustc by its name; any other compiler is asked what it is (once per binary): gcc and clang are C/C++.
    const { argv, cwd, env } = request;
    const ccIdentity = /rustc|clippy-driver/.test(basename(argv[0]!))
      ? undefined
      : await deps.identifyCc(argv[0]!, cwd, env).catch(() => undefined);
    if (ccIdentity) await answerCompile(deps, deps.cc.forCompiler(ccIdentity), request, checked);
    else await answerCompile(deps, deps.rust, request, checked);
  };
}
