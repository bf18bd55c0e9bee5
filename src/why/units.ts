import { isAbsolute, relative, resolve } from 'node:path';
import type { Worktree } from '../worktree/locate.js';
import type { Section } from './differences.js';
import type { WhyInputs } from './explainer.js';

/**
 * What makes two compiles "the same unit", whose inputs are compared when one misses: for Rust the
 * crate (name, kind, root source relative to its checkout, target), for C and C++ the object and its
 * source (relative to the checkout). Relative, so the same crate in another worktree is the same unit.
 */

/** A path relative to the worktree when it is inside it, else absolute (a registry crate's). */
export function placeInCheckout(path: string, cwd: string, worktree: Worktree): string {
  const absolute = isAbsolute(path) ? path : resolve(cwd, path);
  return worktree.root && absolute.startsWith(`${worktree.root}/`) ? relative(worktree.root, absolute) : absolute;
}

export function rustUnit(
  compile: { crateName: string; input: string; target?: string },
  request: {
    /** How people name the crate: a build script by its package (crateLabel). */
    label: string;
    kind: string;
    cwd: string;
    worktree: Worktree;
    sections: readonly Section[];
    compiler: string;
    baseDir?: string | undefined;
    baseDirsConfigured?: boolean;
  },
): WhyInputs {
  const path = placeInCheckout(compile.input, request.cwd, request.worktree);
  return {
    unit: ['rust', request.kind, compile.crateName, path, compile.target ?? ''].join('\0'),
    name: request.label,
    kind: request.kind,
    path,
    sections: request.sections,
    compiler: request.compiler,
    ...(request.baseDir ? { baseDir: request.baseDir } : {}),
    baseDirsConfigured: request.baseDirsConfigured ?? false,
  };
}

export function ccUnit(
  compile: { source: string; output: string },
  request: {
    kind: string;
    cwd: string;
    worktree: Worktree;
    sections: readonly Section[];
    compiler: string;
    baseDir?: string | undefined;
    baseDirsConfigured?: boolean;
  },
): WhyInputs {
  const path = placeInCheckout(compile.source, request.cwd, request.worktree);
  // cc-rs puts objects under the build script's OUT_DIR, whose name has cargo's hash of the unit's settings.
  const output = placeInCheckout(compile.output, request.cwd, request.worktree).replace(
    /-[0-9a-f]{16}(?=\/)/g,
    '-<hash>',
  );
  return {
    unit: ['cc', request.kind, output, path].join('\0'),
    name: path.replace(/^.*\//, ''),
    kind: request.kind,
    path,
    sections: request.sections,
    compiler: request.compiler,
    ...(request.baseDir ? { baseDir: request.baseDir } : {}),
    baseDirsConfigured: request.baseDirsConfigured ?? false,
  };
}
