import { statSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { NotCacheableReason } from '../compiler/classification.js';
import { classifyCc, isCxxDriver, type CcCompile } from '../compiler/cc/args.js';
import type { CcCompilerIdentity } from '../compiler/cc/compiler-identity.js';
import { parseDepFile } from '../compiler/cc/dep-file.js';
import {
  ccDirectKey,
  ccPreprocessedKey,
  ccShapeKey,
  digestPreprocessed,
  filePrefixMapArgument,
} from '../compiler/cc/key-inputs.js';
import type { ManifestInputs } from '../compiler/result-key.js';
import { preprocessArgs } from '../compiler/cc/preprocess-args.js';
import type { ProcessRunner } from '../exec/process-runner.js';
import { placesEndWherePathsEnd, type BuildPlaces } from '../cache/path-template.js';
import type { DigestMemo } from '../hash/digest-memo.js';
import { increment } from '../stats/counters.js';
import { currentPath, relocationFor, type Relocation } from '../worktree/base-dir.js';
import { digestReadFiles, type CacheableCompile, type Collected, type FallbackKey } from './compile-flow.js';
import type { CompileContext, CompilerHandler, Refusal } from './compiler-handler.js';
import type { Logger } from './logger.js';
import { ccUnit } from '../why/units.js';
import type { Entry } from '../cache/entry.js';
import { resultKey } from '../compiler/result-key.js';
import { IdleWork } from './idle-work.js';
import { fileIdentity } from '../fs/file-identity.js';

export interface CcHandlerDependencies {
  memo: DigestMemo;
  log: Logger;
  /** Where the dependency files hoard asks for (when the caller did not) are written: the cache's tmp/. */
  tmpDir: string;
  /** Runs the preprocessor on a direct miss. */
  runner: ProcessRunner;
  /** The shapes of preprocessed keys seen so far (see ccShapeKey): kept where manifests are. */
  shapes: PreprocessedShapes;
  /** Where misses' preprocessor runs wait for the builds to pause (tests pass a quicker one). */
  idle?: IdleWork;
}

/**
 * Remembers which shapes of preprocessed key the cache has preprocessed (an entry may be under them),
 * and the entries stored under their direct result key that a preprocessed key stands for (filed
 * when the server was idle).
 */
export interface PreprocessedShapes {
  has(shape: string): Promise<boolean>;
  add(shape: string, preprocessedKey: string): Promise<void>;
  entryFor(preprocessedKey: string): Promise<string | undefined>;
  file(preprocessedKey: string, entryKey: string): Promise<void>;
}

/** How long compile requests must pause before the preprocessed keys of earlier misses are worked out. */
export const IDLE_BEFORE_PREPROCESSING_MS = 1000;
/** Files whose time-macro check is remembered at most (then forgotten all at once). */
const MOST_REMEMBERED_FILES = 65_536;
/** Compiles waiting for that at most; more are not filed under a preprocessed key. */
const MOST_WAITING_TO_PREPROCESS = 4096;

/**
 * Characters a dependency file escapes (or make reads specially): a base directory or object directory
 * with one of them would not be found as written in the dependency file to be moved to another place.
 */
const ESCAPED_IN_DEP_FILES = /[\s#$:\\%*?[\]]/;

function depFileBesideObject(compile: CcCompile): boolean {
  return compile.depFile !== undefined && dirname(compile.depFile) === dirname(compile.output);
}

/** Whether the cache may run the compile's preprocessor. */
/** Whether two lists of files read name the same paths with the same digests, in any order. */
function sameFiles(a: ManifestInputs['files'], b: ManifestInputs['files']): boolean {
  if (a.length !== b.length) return false;
  const digests = new Map(b);
  return a.every(([path, digest]) => digests.has(path) && digests.get(path) === digest);
}

function preprocessable(compile: CcCompile, env: Record<string, string>): boolean {
  // These make gcc write a dependency file of their own, from the preprocessor run too.
  if (env.DEPENDENCIES_OUTPUT !== undefined || env.SUNPRO_DEPENDENCIES !== undefined) return false;
  return preprocessArgs(compile, { output: '-', depFile: '-', extraArgs: [] }) !== undefined;
}

/** A preprocessor run that takes longer is given up (and the compile runs). */
const PREPROCESS_TIMEOUT_MS = 90_000;

/** A source that expands these gives another object at every compile: storing it would replay a stale date. */
const TIME_MACROS = /__(DATE|TIME|TIMESTAMP)__/;

/** What keying a gcc or clang compile needs beyond its arguments. */
interface CcPlan {
  compile: CcCompile;
  /** The dependency file was asked for elsewhere than beside the object (see prepare). */
  depElsewhere: boolean;
  baseDir: string | undefined;
  relocation: Relocation;
  /** `-ffile-prefix-map` under a base directory. */
  prefixMap: string[];
}

/** Answers compile requests for gcc and clang: one per compiler binary (forCompiler), sharing the server's temporary names. */
export class CcHandler {
  /** Names the dependency files hoard asks for: unique within this server, whose pid is in the name. */
  private depFiles = 0;

  /** The preprocessor runs of misses (depend mode), done when the builds pause. */
  readonly idle: IdleWork;
  /** Whether a file expands a time macro, by path, for the file identity it was read at: every miss reads the same headers. */
  private readonly timeMacros = new Map<string, { identity: string; uses: boolean }>();

  constructor(private readonly deps: CcHandlerDependencies) {
    this.idle = deps.idle ?? new IdleWork(IDLE_BEFORE_PREPROCESSING_MS, MOST_WAITING_TO_PREPROCESS);
  }

  /** The handler of calls to one compiler, as identified (`cc -E -v`). */
  forCompiler(identity: CcCompilerIdentity): CompilerHandler<CcCompile, CcPlan> {
    return {
      classify: (message) => {
        this.idle.activity();
        return classifyCc(message.argv[0]!, message.argv.slice(1), message.cwd);
      },
      outputDir: (_message, classification) =>
        classification.kind === 'cacheable' ? dirname(classification.compile.output) : undefined,
      kindOf: (message, classification) =>
        classification.kind === 'cacheable'
          ? classification.compile.language
          : isCxxDriver(message.argv[0]!)
            ? 'c++'
            : 'c',
      refusedLabel: (message) => basename(message.argv[0]!),
      answerQuery: async (_message, exchange) => exchange.reply({ type: 'run', store: false }),
      subject: (compile) => compile.source,
      prepare: async (compile, context) => this.prepare(compile, context, identity),
      directKey: async (plan, context) => {
        const { argv, cwd, env } = context.request;
        const key = await ccDirectKey(plan.compile, identity, cwd, env, {
          extraArgs: plan.prefixMap,
          relocation: plan.relocation,
          explain: context.explain,
        });
        const compiler = `${argv[0]} (${identity.path}, ${identity.family}${identity.majorVersion === undefined ? '' : ` ${identity.majorVersion}`})`;
        const baseDirsConfigured = context.configuredBaseDirs.length > 0;
        return {
          ...key,
          why: ccUnit(plan.compile, {
            kind: context.kind,
            cwd,
            worktree: context.worktree,
            sections: key.sections,
            compiler,
            baseDir: plan.baseDir,
            baseDirsConfigured,
          }),
        };
      },
      describe: (plan, direct, context) => this.describe(plan, direct, context, identity),
    };
  }

  private prepare(compile: CcCompile, context: CompileContext, identity: CcCompilerIdentity): CcPlan | Refusal {
    // A dependency file elsewhere (automake's -MF .deps/x.Tpo) is kept in the entry by its file name and
    // restored at the path this compile names (see collect for when it is kept).
    // gcc writes the dependency file these name too (with or without -MD), which no entry holds.
    const envDepFile = ['DEPENDENCIES_OUTPUT', 'SUNPRO_DEPENDENCIES'].find(
      (name) => context.request.env[name] !== undefined,
    );
    if (envDepFile)
      return {
        refuse: 'output-file',
        detail: `${envDepFile} is set: the compiler writes a dependency file the cache does not restore`,
      };
    const depElsewhere = compile.depFile !== undefined && !depFileBesideObject(compile);
    if (depElsewhere && basename(compile.depFile!) === basename(compile.output)) {
      return {
        refuse: 'output-file',
        detail: `-MF ${compile.depFile} has the object's file name, and an entry keeps its outputs by name`,
      };
    }
    // Under a base directory the key and the manifest name paths relative to it, and the compiler is
    // told to leave it out of the object: only when it can, and when the caller maps no paths itself.
    const chosen = context.baseDir;
    const outDir = dirname(compile.output);
    const baseDir =
      chosen && identity.filePrefixMap && !compile.ownPrefixMap && !ESCAPED_IN_DEP_FILES.test(chosen + outDir)
        ? chosen
        : undefined;
    return {
      compile,
      depElsewhere,
      baseDir,
      relocation: relocationFor(baseDir),
      prefixMap: baseDir ? [filePrefixMapArgument(baseDir)] : [],
    };
  }

  private describe(
    plan: CcPlan,
    direct: string,
    context: CompileContext,
    identity: CcCompilerIdentity,
  ): CacheableCompile {
    const { compile, depElsewhere, baseDir, relocation, prefixMap } = plan;
    const { request, receivedAt, explain, count } = context;
    const { cwd, env } = request;
    // The headers a compile read come from its dependency file: asked for here when the caller did not.
    const ownDepFile = compile.depFile
      ? undefined
      : join(this.deps.tmpDir, `cc-deps-${process.pid}-${(this.depFiles += 1)}.d`);
    const depName = depElsewhere ? basename(compile.depFile!) : undefined;
    const places: BuildPlaces = {
      outDir: dirname(compile.output),
      ...(baseDir ? { baseDir } : {}),
      ...(depName ? { elsewhere: { [depName]: compile.depFile! } } : {}),
    };
    const extraArgs = [...prefixMap, ...(ownDepFile ? ['-MD', '-MF', ownDepFile] : [])];
    const shape = ccShapeKey(compile, identity, cwd, env, { extraArgs: prefixMap, relocation });
    // Depend mode: a shape never preprocessed has no entry under any preprocessed key, so its miss runs
    // no preprocessor and is stored under its direct result key (its headers come from its dependency
    // file); its preprocessed key is worked out when the builds pause, naming that entry. A shape
    // preprocessed before may have an entry under its preprocessed key: the preprocessor runs before
    // the compile, to find it.
    let preprocessLater = false;
    const countPreprocessor = (what: string): void => count((counters) => increment(counters.ccPreprocessor, what));
    const fallbackWhen = async (): Promise<'before' | 'never'> => {
      if (!preprocessable(compile, env)) return 'never';
      if (await this.deps.shapes.has(shape).catch(() => true)) return 'before';
      countPreprocessor('depend-mode');
      preprocessLater = true;
      return 'never';
    };
    const preprocessed = (lowPriority: boolean, onRun: () => void) => () =>
      this.preprocessedKey({
        compile,
        compiler: request.argv[0]!,
        identity,
        cwd,
        env,
        relocation,
        prefixMap,
        receivedAt,
        explain,
        shape,
        lowPriority,
        onRun,
      });
    const fileLater = (entryKey: string, compiled: ManifestInputs['files']): void => {
      if (!preprocessLater) return;
      const work = async (): Promise<void> => {
        try {
          const found = await preprocessed(true, () => undefined)();
          // Filed only when the preprocessor read exactly the files, with the same contents, that the
          // compile read: a header deleted or a symlink switched since leaves every file it reads old,
          // but names or digests another file, and its text is not what the entry was compiled from.
          if (found && sameFiles(found.manifest.files, compiled)) await this.deps.shapes.file(found.key, entryKey);
        } finally {
          // Counted once done, filed or not (a source changed since, the preprocessor failed).
          countPreprocessor('when-idle');
        }
      };
      if (!this.idle.add(work))
        this.deps.log.debug(
          `${compile.source}: too many compiles wait to be preprocessed; not filed under its preprocessed key`,
        );
    };
    return {
      worktree: context.worktree,
      kind: context.kind,
      label: basename(compile.source),
      cwd,
      receivedAt,
      direct,
      places,
      lookup: {
        path: (recorded) => currentPath(relocation, cwd, recorded),
        env: () => null,
      },
      ...(extraArgs.length ? { extraArgs } : {}),
      // An entry holds a dependency file elsewhere only when it restores as the compiler would write it.
      ...(depName ? { servable: (entry: Entry) => entry.outputs.some((output) => output.name === depName) } : {}),
      fallback: preprocessed(false, () => countPreprocessor('before-compile')),
      fallbackWhen,
      collect: async () => {
        const collected = await this.collect(compile, cwd, receivedAt, ownDepFile, relocation, places, (reason) =>
          count((counters) => increment(counters.notCacheable, reason)),
        );
        if ('refused' in collected) return collected;
        return {
          outputs: collected.outputs,
          manifest: async () => {
            const manifest = await collected.manifest();
            // Stored under this key (CompileFlow.store, with no fallback key): the preprocessed key will name it.
            if (!('refused' in manifest)) fileLater(resultKey(direct, manifest).key, manifest.files);
            return manifest;
          },
        };
      },
      ...(ownDepFile ? { cleanup: () => rm(ownDepFile, { force: true }) } : {}),
    };
  }

  /**
   * The key of the compile's preprocessed output, with the files the preprocessor read and the
   * dependency file it wrote (what the compile would write). Undefined when the preprocessor fails or
   * anything is unsure: then the compile runs as on any miss.
   */
  private async preprocessedKey(request: {
    compile: CcCompile;
    compiler: string;
    identity: CcCompilerIdentity;
    cwd: string;
    env: Record<string, string>;
    relocation: Relocation;
    prefixMap: string[];
    receivedAt: number;
    explain: boolean;
    shape: string;
    /** Nobody waits for it (the compile has run): the build's compilers go first. */
    lowPriority: boolean;
    /** Told when the preprocessor is started. */
    onRun: () => void;
  }): Promise<FallbackKey | undefined> {
    const {
      compile,
      compiler,
      identity,
      cwd,
      env,
      relocation,
      prefixMap,
      receivedAt,
      explain,
      shape,
      lowPriority,
      onRun,
    } = request;
    const { log } = this.deps;
    const stem = join(this.deps.tmpDir, `cc-preprocessed-${process.pid}-${(this.depFiles += 1)}`);
    const places = { output: `${stem}.i`, depFile: `${stem}.d`, extraArgs: prefixMap };
    const args = preprocessable(compile, env) ? preprocessArgs(compile, places) : undefined;
    if (!args) return undefined;
    onRun();
    try {
      const result = await this.deps.runner.run(compiler, args, {
        cwd,
        env,
        timeoutMs: PREPROCESS_TIMEOUT_MS,
        ...(lowPriority ? { lowPriority } : {}),
      });
      if (result.exitCode !== 0) {
        log.debug(`preprocessing ${compile.source} failed (exit ${result.exitCode}); compiling it`);
        return undefined;
      }
      const depText = await readFile(places.depFile, 'utf8');
      const files = await digestReadFiles(this.deps.memo, parseDepFile(depText), cwd, receivedAt, (path) =>
        relocation.strip(path),
      );
      if ('changed' in files) return undefined;
      const digest = await digestPreprocessed(places.output, relocation, compile);
      const key = ccPreprocessedKey(
        compile,
        identity,
        cwd,
        env,
        { digest, stderr: result.stderr },
        { extraArgs: prefixMap, relocation, explain },
      );
      if (!(await this.deps.shapes.has(shape))) await this.deps.shapes.add(shape, key.key);
      if (explain) log.debug(`preprocessed key ${key.key} for ${compile.source}:\n${key.explanation}`);
      const depFile = compile.depFile;
      const filed = lowPriority ? undefined : await this.deps.shapes.entryFor(key.key).catch(() => undefined);
      // The entry's dependency file may differ from this one (another checkout's paths, a copy of the headers): this one is the compiler's.
      return {
        key: key.key,
        ...(filed ? { alias: filed } : {}),
        manifest: { files, envDeps: [] },
        ...(depFile ? { overrides: [{ path: depFile, text: depText }] } : {}),
      };
    } catch (error) {
      log.warn(`preprocessing ${compile.source} in ${cwd}: ${(error as Error).message}; compiling it`);
      return undefined;
    } finally {
      await Promise.all([rm(places.output, { force: true }), rm(places.depFile, { force: true })]).catch(
        () => undefined,
      );
    }
  }

  /** Whether the file at `path` mentions __DATE__, __TIME__ or __TIMESTAMP__ (a file that cannot be read does not). */
  private async usesTimeMacro(path: string): Promise<boolean> {
    // Synchronous: a stat of a header in the page cache costs microseconds, a trip through the thread pool more.
    const info = statSync(path, { bigint: true, throwIfNoEntry: false });
    if (!info) return false;
    const identity = fileIdentity(info);
    const known = this.timeMacros.get(path);
    if (known?.identity === identity) return known.uses;
    const uses = TIME_MACROS.test(await readFile(path, 'latin1').catch(() => ''));
    // Read after the stat: a file changed in between has a new identity, and is read again next time.
    if (this.timeMacros.size >= MOST_REMEMBERED_FILES) this.timeMacros.clear();
    this.timeMacros.set(path, { identity, uses });
    return uses;
  }

  /**
   * The outputs of a finished compile, and its manifest: every file its dependency file names (see
   * Collected: the outputs are taken at once, the sources digested after the wrapper is answered).
   */
  private async collect(
    compile: CcCompile,
    cwd: string,
    receivedAt: number,
    ownDepFile: string | undefined,
    relocation: Relocation,
    places: BuildPlaces,
    countReason: (reason: NotCacheableReason) => void,
  ): Promise<Collected> {
    const depText = await readFile(ownDepFile ?? compile.depFile!, 'utf8');
    const read = parseDepFile(depText);
    // Restored into another worktree, the caller's dependency file must name that worktree's files.
    const storedDepFile = compile.depFile !== undefined && depFileBesideObject(compile);
    const relocated = relocation.baseDir !== undefined && storedDepFile;
    if (relocated && !placesEndWherePathsEnd(depText, places))
      return { refused: `${compile.depFile} names a path that only begins like ${places.baseDir} or ${places.outDir}` };
    const outputs = [{ name: basename(compile.output), path: compile.output, templated: false }];
    if (storedDepFile) outputs.push({ name: basename(compile.depFile!), path: compile.depFile!, templated: relocated });
    // A dependency file elsewhere is kept as the compiler wrote it, so it restores exactly, when that is
    // what the compiler writes for every compile with this key: under a base directory, only when it
    // names no path inside it (automake's relative paths); else the entry holds the object alone and
    // only the preprocessed key serves it (its run writes the dependency file).
    const depElsewhere = compile.depFile !== undefined && !storedDepFile;
    if (depElsewhere && !(relocation.baseDir !== undefined && depText.includes(relocation.baseDir))) {
      outputs.push({ name: basename(compile.depFile!), path: compile.depFile!, templated: false });
    }
    const manifest = async (): Promise<ManifestInputs | { refused: string }> => {
      const files = await digestReadFiles(this.deps.memo, read, cwd, receivedAt, (path) => relocation.strip(path));
      if ('changed' in files) return { refused: `${files.changed} changed during the compile` };
      const uses = await Promise.all(
        read.map((file) => this.usesTimeMacro(isAbsolute(file) ? file : resolve(cwd, file))),
      );
      const stamped = read.find((_file, index) => uses[index]);
      if (stamped !== undefined) {
        countReason('time-macro');
        return { refused: `${stamped} uses __DATE__, __TIME__ or __TIMESTAMP__` };
      }
      return { files, envDeps: [] };
    };
    return { outputs, manifest };
  }
}
