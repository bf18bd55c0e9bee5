import type { NarNode } from './nar.mjs';
export interface Integrity {
  rank: number;
  algorithm: string;
  sri: string;
  hex: string;
}
export interface LockedPackage {
  path: string;
  url: string;
  version: string;
  name?: string;
  integrity: Integrity;
}
export function bestIntegrity(integrity: string): Integrity;
export function lockfilePackages(lockText: string): LockedPackage[];
export function indexEntry(url: string, integrity: string, size: number): { key: string; line: string };
export function npmDepsTree(
  lockText: string,
  packages: LockedPackage[],
  tarballOf: (entry: LockedPackage) => Buffer,
): NarNode & { type: 'directory' };
