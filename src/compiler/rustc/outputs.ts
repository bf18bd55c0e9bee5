import { join } from 'node:path';
import type { RustCompile } from './args.js';

export interface ExpectedOutput {
  /** File name inside the out-dir. */
  name: string;
  path: string;
  /** Text that names the out-dir: stored with a placeholder, written back with the restoring out-dir. */
  templated: boolean;
}

/** Whether the compile's target (the host's, without --target) is an Apple one, where shared libraries are .dylib. */
function targetsApple(compile: RustCompile): boolean {
  return compile.target ? compile.target.includes('-apple-') : process.platform === 'darwin';
}

/** The file `--emit link` writes for one crate type (the platforms hoard runs on: Linux, macOS). */
function linkedFileName(type: string, stem: string, compile: RustCompile): string {
  switch (type) {
    case 'staticlib':
      return `lib${stem}.a`;
    case 'bin':
      return stem;
    case 'proc-macro':
    case 'dylib':
    case 'cdylib':
      return `lib${stem}.${targetsApple(compile) ? 'dylib' : 'so'}`;
    default:
      return `lib${stem}.rlib`;
  }
}

/** The files rustc writes for a cacheable compile. */
export function expectedOutputs(compile: RustCompile): ExpectedOutput[] {
  const stem = `${compile.crateName}${compile.extraFilename}`;
  const names: Array<{ name: string; templated: boolean }> = [];
  for (const emit of compile.emits) {
    if (emit === 'dep-info') names.push({ name: `${stem}.d`, templated: true });
    if (emit === 'metadata') names.push({ name: `lib${stem}.rmeta`, templated: false });
    if (emit === 'link') {
      for (const type of compile.crateTypes) {
        const name = linkedFileName(type, stem, compile);
        if (!names.some((known) => known.name === name)) names.push({ name, templated: false });
      }
    }
  }
  return names.map(({ name, templated }) => ({ name, path: join(compile.outDir, name), templated }));
}

export function depInfoPath(compile: RustCompile): string {
  return join(compile.outDir, `${compile.crateName}${compile.extraFilename}.d`);
}
