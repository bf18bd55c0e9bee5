import { statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { writeAtomically } from '../../fs/write-atomically.js';
import { basename, dirname, join } from 'node:path';
import { digestBytes } from '../../hash/blake3.js';
import type { DigestMemo } from '../../hash/digest-memo.js';
import type { ProcessRunner } from '../../exec/process-runner.js';
import { locateCompiler, statIdentity } from '../locate-compiler.js';

export interface ToolchainIdentity {
  /** What goes into keys: `rustc -vV` and the sysroot's shared libraries. */
  digest: string;
  version: string;
  sysroot: string;
}

/**
 * How the libraries' digests in the identity were made: file digests are BLAKE3 (they were sha256). A
 * toolchain remembered without this mark is worked out again, or a machine that remembered it before
 * would name the same toolchain otherwise than a fresh one, and the two would share no entry.
 */
const LIBRARY_DIGESTS = 'blake3';

interface RememberedToolchain extends ToolchainIdentity {
  libraryDigests?: typeof LIBRARY_DIGESTS;
  /** The sysroot libraries and their stat identities: if any changed, the toolchain was replaced. */
  libraries: Array<[path: string, identity: string]>;
  /** What `rustc -vV` printed, whole (remembered since this field was added; older entries lack it). */
  versionOutput?: string;
}

/** A rustup proxy is the rustup binary under another name: which toolchain it runs depends on context. */
function isRustupProxy(path: string): boolean {
  if (basename(path).startsWith('rustup')) return true;
  const self = statSync(path, { throwIfNoEntry: false });
  const rustup = statSync(join(dirname(path), 'rustup'), { throwIfNoEntry: false });
  return self !== undefined && rustup !== undefined && self.ino === rustup.ino && self.dev === rustup.dev;
}

/**
 * Works out compiler identities once per toolchain and remembers them across server restarts. A
 * rustup proxy picks its toolchain from RUSTUP_TOOLCHAIN or, failing that, the directory it runs in,
 * so those become part of what is remembered.
 */
export class Toolchains {
  private readonly known = new Map<string, RememberedToolchain>();
  private readonly pending = new Map<string, Promise<RememberedToolchain>>();
  private loading: Promise<void> | undefined;

  constructor(
    private readonly runner: ProcessRunner,
    private readonly memo: DigestMemo,
    private readonly persistPath: string,
  ) {}

  async identify(compiler: string, cwd: string, env: Record<string, string>): Promise<ToolchainIdentity> {
    await this.load();
    const { path, memoKey } = await this.memoKeyOf(compiler, cwd, env);
    const remembered = this.known.get(memoKey);
    if (remembered && (await this.unchanged(remembered))) return remembered;
    let computing = this.pending.get(memoKey);
    if (!computing) {
      computing = this.compute(path, cwd, env)
        .then(async (identity) => {
          this.known.set(memoKey, identity);
          await this.save();
          return identity;
        })
        .finally(() => this.pending.delete(memoKey));
      this.pending.set(memoKey, computing);
    }
    return computing;
  }

  /**
   * What `rustc -vV` prints for this compiler, when its toolchain is already identified and unchanged:
   * cargo asks it at the start of every build after `cargo clean`, and waits. Never starts identifying
   * (that hashes hundreds of MB): undefined means "run the compiler".
   */
  async knownVersionOutput(compiler: string, cwd: string, env: Record<string, string>): Promise<string | undefined> {
    await this.load();
    const remembered = this.known.get((await this.memoKeyOf(compiler, cwd, env)).memoKey);
    if (remembered?.versionOutput === undefined || !(await this.unchanged(remembered))) return undefined;
    return remembered.versionOutput;
  }

  /** A rustup proxy's toolchain depends on its context, which is then part of the key. */
  private async memoKeyOf(
    compiler: string,
    cwd: string,
    env: Record<string, string>,
  ): Promise<{ path: string; memoKey: string }> {
    const path = await locateCompiler(compiler, cwd, env);
    const context = isRustupProxy(path)
      ? `proxy toolchain=${env.RUSTUP_TOOLCHAIN ?? ''} home=${env.RUSTUP_HOME ?? ''} cwd=${env.RUSTUP_TOOLCHAIN ? '' : cwd}`
      : '';
    return { path, memoKey: `${path} ${await statIdentity(path)} ${context}` };
  }

  private async unchanged(toolchain: RememberedToolchain): Promise<boolean> {
    try {
      const identities = await Promise.all(toolchain.libraries.map(([path]) => statIdentity(path)));
      return identities.every((identity, index) => identity === toolchain.libraries[index]![1]);
    } catch {
      return false;
    }
  }

  private async compute(path: string, cwd: string, env: Record<string, string>): Promise<RememberedToolchain> {
    const [version, sysrootResult] = await Promise.all([
      this.runner.run(path, ['-vV'], { cwd, env }),
      this.runner.run(path, ['--print', 'sysroot'], { cwd, env }),
    ]);
    if (version.exitCode !== 0 || sysrootResult.exitCode !== 0) {
      throw new Error(`${path} -vV failed: ${(version.stderr || sysrootResult.stderr).split('\n')[0]}`);
    }
    const sysroot = sysrootResult.stdout.trim();
    const libDir = join(sysroot, 'lib');
    const names = (await readdir(libDir)).filter((name) => /\.(so|dylib)(\.|$)/.test(name)).sort();
    const paths = names.map((name) => join(libDir, name));
    // Side by side: with hashing threads, the libraries (hundreds of MB) take as long as the largest.
    const digests = await Promise.all(paths.map((libraryPath) => this.memo.digest(libraryPath)));
    const parts = [version.stdout, ...names.map((name, index) => `${name} ${digests[index]}`)];
    const libraries: Array<[string, string]> = [];
    for (const libraryPath of paths) libraries.push([libraryPath, await statIdentity(libraryPath)]);
    // The runner drops the final newline of what it captures; rustc ends every line with one.
    const versionOutput = `${version.stdout}\n`;
    return {
      digest: digestBytes(parts.join('\n')),
      version: version.stdout.trim(),
      sysroot,
      libraries,
      versionOutput,
      libraryDigests: LIBRARY_DIGESTS,
    };
  }

  /** Reads the remembered identities once; concurrent first requests all wait for the same read. */
  private load(): Promise<void> {
    this.loading ??= this.readRemembered();
    return this.loading;
  }

  private async readRemembered(): Promise<void> {
    try {
      const saved = JSON.parse(await readFile(this.persistPath, 'utf8')) as Record<string, RememberedToolchain>;
      for (const [key, value] of Object.entries(saved)) {
        if (
          typeof value?.digest !== 'string' ||
          !Array.isArray(value.libraries) ||
          value.libraryDigests !== LIBRARY_DIGESTS
        )
          continue;
        // A file edited by hand or by another version: a version answer that is not text is not replayed.
        if (value.versionOutput !== undefined && typeof value.versionOutput !== 'string') delete value.versionOutput;
        this.known.set(key, value);
      }
    } catch {
      // Missing or unreadable: identities are worked out again.
    }
  }

  private async save(): Promise<void> {
    try {
      await writeAtomically(this.persistPath, JSON.stringify(Object.fromEntries(this.known)));
    } catch {
      // Remembering is an optimization: the identity is worked out again after a restart.
    }
  }
}
