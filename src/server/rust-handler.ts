import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { BuildPlaces } from '../cache/path-template.js';
import type { Classification } from '../compiler/classification.js';
import { classifyRustc, isVerboseVersionQuery, type RustCompile } from '../compiler/rustc/args.js';
import { parseDepInfo } from '../compiler/rustc/dep-info.js';
import type { ManifestInputs } from '../compiler/result-key.js';
import { directKey, remapArgument } from '../compiler/rustc/key-inputs.js';
import { envDepRecorder, manifestRelocation } from '../compiler/rustc/env-dep-relocation.js';
import { depInfoPath, expectedOutputs } from '../compiler/rustc/outputs.js';
import type { Toolchains } from '../compiler/rustc/toolchain.js';
import type { Linkers, LabelledInput } from '../compiler/rustc/linker.js';
import { rustCrateKind, type LinkedCrateKind } from '../compiler/rustc/crate-kind.js';
import type { DigestMemo } from '../hash/digest-memo.js';
import type { CompileRequest } from '../protocol/messages.js';
import { currentPath, relocationFor, type Relocation } from '../worktree/base-dir.js';
import { digestReadFiles, type CacheableCompile, type Collected } from './compile-flow.js';
import type { CompileContext, CompilerHandler, Refusal } from './compiler-handler.js';
import type { Exchange } from './exchange.js';
import { crateLabel, crateNameOf } from './live-feed.js';
import type { Logger } from './logger.js';
import type { WhyInputs } from '../why/explainer.js';
import { rustUnit } from '../why/units.js';

export interface RustHandlerDependencies {
  toolchains: Pick<Toolchains, 'identify' | 'knownVersionOutput'>;
  linkers: Pick<Linkers, 'inputs'>;
  /** Configured kinds of linked crate to cache, read per request so that a config change applies at once. */
  linkedCrates(): readonly LinkedCrateKind[];
  log: Logger;
  memo: DigestMemo;
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

/** What keying a rustc compile needs beyond its arguments. */
interface RustPlan {
  compile: RustCompile;
  linkInputs: LabelledInput[] | undefined;
  baseDir: string | undefined;
  relocation: Relocation;
  /** Where the manifest's paths and env! values are relative to (env-dep-relocation.ts). */
  inManifest: Relocation;
}

/** Answers compile requests for rustc: classify and key; the shared path (answerCompile) does the rest. */
export class RustHandler implements CompilerHandler<RustCompile, RustPlan> {
  constructor(private readonly deps: RustHandlerDependencies) {}

  classify(message: CompileRequest): Classification<RustCompile> {
    return classifyRustc(
      message.argv.slice(1),
      message.cwd,
      (path) => readFileSync(path, 'utf8'),
      this.deps.linkedCrates(),
    );
  }

  outputDir(message: CompileRequest): string | undefined {
    return outDirArgument(message.argv, message.cwd);
  }

  kindOf(message: CompileRequest): string {
    return rustCrateKind(message.argv.slice(1));
  }

  refusedLabel(message: CompileRequest): string {
    return crateNameOf(message.argv, message.env);
  }

  subject(compile: RustCompile): string {
    return compile.crateName;
  }

  async prepare(compile: RustCompile, context: CompileContext): Promise<RustPlan | Refusal> {
    const { cwd, env } = context.request;
    let linkInputs: LabelledInput[] | undefined;
    if (compile.linkedKind) {
      try {
        linkInputs = await this.deps.linkers.inputs(compile, cwd, env);
      } catch (error) {
        this.deps.log.warn(
          `linking ${compile.crateName} in ${cwd}: ${(error as Error).message}; compiling it uncached`,
        );
        return { refuse: 'linker-not-found', detail: (error as Error).message };
      }
    }
    const relocation = relocationFor(context.baseDir);
    const inManifest = manifestRelocation(relocation, context.configuredBaseDirs, context.worktree, compile.outDir);
    return { compile, linkInputs, baseDir: context.baseDir, relocation, inManifest };
  }

  async directKey(
    plan: RustPlan,
    context: CompileContext,
  ): Promise<{ key: string; explanation?: string | undefined; why?: WhyInputs }> {
    const { argv, cwd, env } = context.request;
    const { compile, linkInputs, relocation } = plan;
    const identity = await this.deps.toolchains.identify(argv[0]!, cwd, env);
    const key = await directKey({
      compile,
      compilerIdentity: identity.digest,
      cwd,
      env,
      memo: this.deps.memo,
      relocation,
      explain: context.explain,
      ...(linkInputs ? { linkInputs } : {}),
    });
    const compiler = `${argv[0]} (${identity.version.split('\n')[0]})`;
    const label = crateLabel(compile.crateName, env);
    const baseDirsConfigured = context.configuredBaseDirs.length > 0;
    return {
      ...key,
      why: rustUnit(compile, {
        label,
        kind: context.kind,
        cwd,
        worktree: context.worktree,
        sections: key.sections,
        compiler,
        baseDir: plan.baseDir,
        baseDirsConfigured,
      }),
    };
  }

  describe(plan: RustPlan, direct: string, context: CompileContext): CacheableCompile {
    const { compile, baseDir, inManifest } = plan;
    const { cwd, env } = context.request;
    const recordEnvDep = envDepRecorder(inManifest, compile.outDir, env);
    const places: BuildPlaces = { outDir: compile.outDir, ...(baseDir ? { baseDir } : {}) };
    return {
      worktree: context.worktree,
      kind: context.kind,
      label: crateLabel(compile.crateName, env),
      cwd,
      receivedAt: context.receivedAt,
      direct,
      places,
      lookup: {
        path: (recorded) => currentPath(inManifest, cwd, recorded),
        env: (name) => recordEnvDep(name, env[name] ?? null),
      },
      ...(baseDir ? { extraArgs: [remapArgument(baseDir)] } : {}),
      collect: () => this.collect(compile, cwd, context.receivedAt, inManifest, recordEnvDep),
    };
  }

  /**
   * A call that compiles nothing. `rustc -vV` is answered from the identified toolchain when there is
   * one (no rustc process: cargo waits for this before anything else); everything else runs. Either
   * way the toolchain is identified meanwhile, so the compiles that follow do not wait for it.
   */
  async answerQuery(message: CompileRequest, exchange: Exchange): Promise<void> {
    const { toolchains, log } = this.deps;
    const [compiler, ...args] = message.argv as [string, ...string[]];
    const { cwd, env } = message;
    const versionOutput = isVerboseVersionQuery(args)
      ? await toolchains.knownVersionOutput(compiler, cwd, env).catch(() => undefined)
      : undefined;
    if (versionOutput !== undefined) {
      exchange.reply({
        type: 'hit',
        files: [],
        stdout: Buffer.from(versionOutput).toString('base64'),
        stderr: '',
        exitCode: 0,
      });
      log.debug(`answered ${compiler} ${args.join(' ')} from the identified toolchain`);
      return;
    }
    exchange.reply({ type: 'run', store: false });
    void toolchains
      .identify(compiler, cwd, env)
      .catch((error: Error) => log.debug(`identifying ${compiler} after ${args.join(' ')}: ${error.message}`));
  }

  /** The manifest of a finished compile, from its dep-info: the sources and env! values it read. */
  private async collect(
    compile: RustCompile,
    cwd: string,
    receivedAt: number,
    relocation: Relocation,
    recordEnvDep: (name: string, value: string | null) => string | null,
  ): Promise<Collected> {
    const depInfo = parseDepInfo(await readFile(depInfoPath(compile), 'utf8'));
    const manifest = async (): Promise<ManifestInputs | { refused: string }> => {
      const files = await digestReadFiles(this.deps.memo, depInfo.sources, cwd, receivedAt, (source) =>
        relocation.strip(source),
      );
      if ('changed' in files) return { refused: `${files.changed} changed during the compile` };
      const envDeps = depInfo.envDeps.map(([name, value]): [string, string | null] => [
        name,
        recordEnvDep(name, value),
      ]);
      return { files, envDeps };
    };
    return { outputs: expectedOutputs(compile), manifest };
  }
}
