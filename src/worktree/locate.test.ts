import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OUTSIDE_ANY_REPOSITORY, WorktreeLocator } from './locate.js';

function git(cwd: string, ...args: string[]): void {
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { cwd, stdio: 'ignore' });
}

describe('WorktreeLocator', () => {
  it('names the repository, worktree and branch of main and linked worktrees from the files under .git', async () => {
    const base = mkdtempSync(join(tmpdir(), 'hoard-worktree-'));
    const main = join(base, 'project');
    mkdirSync(join(main, 'crates', 'a'), { recursive: true });
    writeFileSync(join(main, 'README'), 'x');
    git(main, 'init', '-q', '-b', 'main');
    git(main, 'add', '.');
    git(main, 'commit', '-q', '-m', 'one');
    git(main, 'worktree', 'add', '-q', '-b', 'feature', join(base, 'feature'));
    const locator = new WorktreeLocator();

    const inMain = await locator.locate(join(main, 'crates', 'a'));
    expect(inMain).toMatchObject({ name: 'project', root: main, branch: 'main', repository: join(main, '.git') });
    const inFeature = await locator.locate(join(base, 'feature'));
    expect(inFeature).toMatchObject({
      name: 'project',
      root: join(base, 'feature'),
      branch: 'feature',
      repository: join(main, '.git'),
    });
    expect(inFeature!.id).not.toBe(inMain!.id);
    expect((await locator.locate(main))!.id).toBe(inMain!.id);

    git(join(base, 'feature'), 'checkout', '-q', '--detach');
    expect((await locator.locate(join(base, 'feature')))!.branch).toMatch(/^detached at [0-9a-f]{8}$/);
  });

  it('attributes to the target directory first, then the working directory, then to no repository', async () => {
    const base = mkdtempSync(join(tmpdir(), 'hoard-worktree-'));
    mkdirSync(join(base, 'repo', 'target'), { recursive: true });
    git(join(base, 'repo'), 'init', '-q');
    const locator = new WorktreeLocator();
    expect((await locator.attribute(join(base, 'repo', 'target'), '/'))!.root).toBe(join(base, 'repo'));
    expect((await locator.attribute(join(base, 'elsewhere'), join(base, 'repo')))!.root).toBe(join(base, 'repo'));
    expect(await locator.attribute(undefined, base)).toBe(OUTSIDE_ANY_REPOSITORY);
  });
});
