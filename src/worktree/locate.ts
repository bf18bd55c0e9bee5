import { readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { digestBytes } from '../hash/blake3.js';

/** A git worktree, as statistics name it. */
export interface Worktree {
  /** Stable across restarts: derived from the repository and the worktree's path. */
  id: string;
  /** The repository's common git directory, shared by all its worktrees. */
  repository: string;
  /** The repository's name (its directory, or the bare repository's name). */
  name: string;
  /** The worktree's top directory. */
  root: string;
  /** The checked-out branch, or `detached at <commit>`. */
  branch: string;
}

export const OUTSIDE_ANY_REPOSITORY: Worktree = {
  id: 'outside',
  repository: '',
  name: '(outside any repository)',
  root: '',
  branch: '',
};

interface Found {
  root: string;
  gitDir: string;
  repository: string;
  /** Worked out once per worktree: a BLAKE3 call per request is not free. */
  id?: string;
}

function repositoryName(commonDir: string): string {
  return basename(commonDir) === '.git' ? basename(dirname(commonDir)) : basename(commonDir).replace(/\.git$/, '');
}

/**
 * Finds the worktree a directory belongs to by reading the files under .git (no git process on the
 * request path). Directory answers are remembered; the branch is read afresh each time.
 */
export class WorktreeLocator {
  private readonly known = new Map<string, Promise<Found | undefined>>();

  async locate(directory: string): Promise<Worktree | undefined> {
    const found = await this.find(resolve(directory));
    if (!found) return undefined;
    found.id ??= digestBytes(`${found.repository}\0${found.root}`).slice(0, 16);
    return {
      id: found.id,
      repository: found.repository,
      name: repositoryName(found.repository),
      root: found.root,
      branch: this.branch(found.gitDir),
    };
  }

  /** The worktree of the target directory the outputs go to, else of the working directory. */
  async attribute(outDir: string | undefined, cwd: string): Promise<Worktree> {
    return (outDir ? await this.locate(outDir) : undefined) ?? (await this.locate(cwd)) ?? OUTSIDE_ANY_REPOSITORY;
  }

  private find(directory: string): Promise<Found | undefined> {
    let answer = this.known.get(directory);
    if (!answer) {
      answer = this.lookHere(directory);
      this.known.set(directory, answer);
      if (this.known.size > 10_000) this.known.clear();
    }
    return answer;
  }

  private async lookHere(directory: string): Promise<Found | undefined> {
    const dotGit = join(directory, '.git');
    try {
      const info = await stat(dotGit);
      if (info.isDirectory()) return { root: directory, gitDir: dotGit, repository: dotGit };
      // A linked worktree: ".git" is a file "gitdir: <repo>/.git/worktrees/<name>", whose commondir
      // file points back at the repository.
      const pointer = /^gitdir:\s*(.+)$/m.exec(await readFile(dotGit, 'utf8'))?.[1]?.trim();
      if (pointer) {
        const gitDir = isAbsolute(pointer) ? pointer : resolve(directory, pointer);
        const common = (await readFile(join(gitDir, 'commondir'), 'utf8').catch(() => '')).trim();
        return { root: directory, gitDir, repository: common ? resolve(gitDir, common) : gitDir };
      }
    } catch {
      // No .git here (or unreadable): look further up.
    }
    const parent = dirname(directory);
    return parent === directory ? undefined : this.find(parent);
  }

  /** HEAD is a line of text read on every request: synchronously, which costs less than four thread-pool trips. */
  private branch(gitDir: string): string {
    try {
      const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim();
      const ref = /^ref:\s*refs\/heads\/(.+)$/.exec(head);
      if (ref) return ref[1]!;
      return /^[0-9a-f]{7,}$/.test(head) ? `detached at ${head.slice(0, 8)}` : head;
    } catch {
      return '';
    }
  }
}
