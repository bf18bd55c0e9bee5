import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { BuildPlaces } from '../cache/path-template.js';
import { classifyRustc, isVerboseVersionQuery, type RustCompile } from '../compiler/rustc/args.js';
import type { NotCacheableReason } from '../compiler/classification.js';
import { parseDepInfo } from '../compiler/rustc/dep-info.js';
import { directKey, RELOCATABLE_ENV_DEPS, remapArgument, type ManifestInputs } from '../compiler/rustc/key-inputs.js';
import { depInfoPath, expectedOutputs } from '../compiler/rustc/outputs.js';
import type { Toolchains } from '../compiler/rustc/toolchain.js';
import type { Linkers, LabelledInput } from '../compiler/rustc/linker.js';
import type { LinkedCrateKind } from '../compiler/rustc/crate-kind.js';
import type { DigestMemo } from '../hash/digest-memo.js';
import type { CompileRequest } from '../protocol/messages.js';
import { increment, tallyKind } from '../stats/counters.js';
import { rustCrateKind } from '../compiler/rustc/crate-kind.js';
import type { Exchange } from './exchange.js';
import type { Logger } from './logger.js';
import type { WorktreeLocator } from '../worktree/locate.js';
import { chooseBaseDir, currentPath, relocationFor, type Relocation } from '../worktree/base-dir.js';
import type { Counters } from '../stats/counters.js';
import type { StatsStore } from './stats-store.js';
import { crateLabel, crateNameOf, type CompileReport } from './live-feed.js';
import { digestReadFiles, type CompileFlow, type Collected } from './compile-flow.js';

export interface RustHandlerDependencies {
  flow: CompileFlow;
  toolchains: Toolchains;
  linkers: Linkers;
  stats: StatsStore;
  worktrees: WorktreeLocator;
  /** Configured base directories, read per request so that a config change applies at once. */
  basedirs(): readonly string[];
  /** Configured kinds of linked crate to cache, read per request like basedirs. */
  linkedCrates(): readonly LinkedCrateKind[];
  log: Logger;
  memo: DigestMemo;
  /** Feeds the dashboard's stream of latest compiles. */
  onCompile?(report: CompileReport): void;
}

/** The out-dir named in the arguments, for attributing calls that are not parsed further. */
function outDirArgument(argv: string[], cwd: string): string | undefined {
  for (let index = 1; index < argv.length; index += 1) {
    const argument = argv[index]!;
    if (argument === '--out-dir' && argv[index + 1]) return resolve(cwd, argv[index + 1]!);
    if (argument.startsWith('--out-dir=')) return resolve(cwd, argument.slice('--out-dir='.length));
  }
  return undefined;
}

function recordedEnvDep(relocation: Relocation, name: string, value: string | null): string | null {
  return value !== null && (RELOCATABLE_ENV_DEPS as readonly string[]).includes(name) ? relocation.strip(value) : value;
}

/** Answers compile requests for rustc: classify, key, then the shared flow (hit, or compile and store). */
export class RustHandler {
  constructor(private readonly deps: RustHandlerDependencies) {}

  async handle(message: CompileRequest, exchange: Exchange): Promise<void> {
    const { stats, log } = this.deps;
    const receivedAt = Date.now();
    const worktree = await this.deps.worktrees.attribute(outDirArgument(message.argv, message.cwd), message.cwd);
    const count = (change: (counters: Counters) => void): void => stats.updateFor(worktree, change);
    count((counters) => {
      counters.requests += 1;
    });
    const classification = classifyRustc(message.argv.slice(1), message.cwd, (path) => readFileSync(path, 'utf8'), this.deps.linkedCrates());
    if (classification.kind === 'not-compilation') {
      count((counters) => {
        counters.notCompilation += 1;
      });
      return this.answerQuery(message, exchange);
    }
    const kind = rustCrateKind(message.argv.slice(1));
    count((counters) => tallyKind(counters, kind, 'requests'));
    const refuse = (reason: NotCacheableReason, detail: string): void => {
      count((counters) => {
        increment(counters.notCacheable, reason);
        tallyKind(counters, kind, 'notCacheable');
      });
      log.debug(`not cacheable (${reason}: ${detail}) in ${message.cwd}`);
      this.deps.onCompile?.({ crate: crateNameOf(message.argv, message.env), kind, worktree, outcome: 'not-cacheable', reason });
      exchange.reply({ type: 'run', store: false, reason });
    };
    if (classification.kind === 'not-cacheable') return refuse(classification.reason, classification.detail);
    const compile = classification.compile;
    let linkInputs: LabelledInput[] | undefined;
    if (compile.linkedKind) {
      try {
        linkInputs = await this.deps.linkers.inputs(compile, message.cwd, message.env);
      } catch (error) {
        log.warn(`linking ${compile.crateName} in ${message.cwd}: ${(error as Error).message}; compiling it uncached`);
        return refuse('linker-not-found', (error as Error).message);
      }
    }

    const explain = log.level === 'debug';
    const baseDir = chooseBaseDir(this.deps.basedirs(), worktree, message.cwd);
    const relocation = relocationFor(baseDir);
    const { cwd, env } = message;
    let direct;
    try {
      const identity = await this.deps.toolchains.identify(message.argv[0]!, cwd, env);
      direct = await directKey({ compile, compilerIdentity: identity.digest, cwd, env, memo: this.deps.memo, relocation, explain, ...(linkInputs ? { linkInputs } : {}) });
    } catch (error) {
      count((counters) => increment(counters.errors, 'internal'));
      log.error(`keying ${compile.crateName} in ${cwd}: ${(error as Error).stack ?? String(error)}`);
      exchange.reply({ type: 'run', store: false, reason: 'error' });
      return;
    }
    if (explain) log.debug(`direct key ${direct.key} for ${compile.crateName}:\n${direct.explanation}`);
    const places: BuildPlaces = { outDir: compile.outDir, ...(baseDir ? { baseDir } : {}) };
    await this.deps.flow.answer(
      {
        worktree,
        kind,
        label: crateLabel(compile.crateName, env),
        cwd,
        receivedAt,
        direct: direct.key,
        places,
        lookup: {
          path: (recorded) => currentPath(relocation, cwd, recorded),
          env: (name) => recordedEnvDep(relocation, name, env[name] ?? null),
        },
        ...(baseDir ? { extraArgs: [remapArgument(baseDir)] } : {}),
        collect: () => this.collect(compile, cwd, receivedAt, relocation),
      },
      exchange,
    );
  }

  /**
   * A call that compiles nothing. `rustc -vV` is answered from the identified toolchain when there is
   * one (no rustc process: cargo waits for this before anything else); everything else runs. Either
   * way the toolchain is identified meanwhile, so the compiles that follow do not wait for it.
   */
  private async answerQuery(message: CompileRequest, exchange: Exchange): Promise<void> {
    const { toolchains, log } = this.deps;
    const [compiler, ...args] = message.argv as [string, ...string[]];
    const { cwd, env } = message;
    const versionOutput = isVerboseVersionQuery(args) ? await toolchains.knownVersionOutput(compiler, cwd, env).catch(() => undefined) : undefined;
    if (versionOutput !== undefined) {
      exchange.reply({ type: 'hit', files: [], stdout: Buffer.from(versionOutput).toString('base64'), stderr: '', exitCode: 0 });
      log.debug(`answered ${compiler} ${args.join(' ')} from the identified toolchain`);
      return;
    }
    exchange.reply({ type: 'run', store: false });
    void toolchains.identify(compiler, cwd, env).catch((error: Error) => log.debug(`identifying ${compiler} after ${args.join(' ')}: ${error.message}`));
  }

  /** The manifest of a finished compile, from its dep-info: the sources and env! values it read. */
  private async collect(compile: RustCompile, cwd: string, receivedAt: number, relocation: Relocation): Promise<Collected> {
    const depInfo = parseDepInfo(await readFile(depInfoPath(compile), 'utf8'));
    const manifest = async (): Promise<ManifestInputs | { refused: string }> => {
      const files = await digestReadFiles(this.deps.memo, depInfo.sources, cwd, receivedAt, (source) => relocation.strip(source));
      if ('changed' in files) return { refused: `${files.changed} changed during the compile` };
      const envDeps = depInfo.envDeps.map(([name, value]): [string, string | null] => [name, recordedEnvDep(relocation, name, value)]);
      return { files, envDeps };
    };
    return { outputs: expectedOutputs(compile), manifest };
  }
}
