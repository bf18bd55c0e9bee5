import type { LockedPackage } from './npm-deps/cacache.mjs';
import type { NarNode } from './npm-deps/nar.mjs';
export const RECORD_FILE: string;
export function defaultRegistry(): string;
export function fetchedLockfile(lockText: string, options?: { asIs?: boolean; registry?: string }): string;
export function sha256Sri(text: string): string;
export function computeNpmDepsHash(
  fetchedText: string,
  options?: { offline?: boolean; log?: (line: string) => void },
): { hash: string; tree: NarNode; packages: LockedPackage[] };
