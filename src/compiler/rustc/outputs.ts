import { join } from 'node:path';
import type { RustCompile } from './args.js';

export interface ExpectedOutput {
  /** File name inside the out-dir. */
  name: string;
  path: string;
  /** Text that names the out-dir: stored with a placeholder, written back with the restoring out-dir. */
  templated: boolean;
}

/** The files rustc writes for a cacheable compile (the platforms hoard runs on: Linux, macOS). */
export function expectedOutputs(compile: RustCompile): ExpectedOutput[] {
  const stem = `${compile.crateName}${compile.extraFilename}`;
  const names: Array<{ name: string; templated: boolean }> = [];
  for (const emit of compile.emits) {
    if (emit === 'dep-info') names.push({ name: `${stem}.d`, templated: true });
    if (emit === 'metadata') names.push({ name: `lib${stem}.rmeta`, templated: false });
    if (emit === 'link') {
      for (const type of compile.crateTypes) {
        const name = type === 'staticlib' ? `lib${stem}.a` : `lib${stem}.rlib`;
        if (!names.some((known) => known.name === name)) names.push({ name, templated: false });
      }
    }
  }
  return names.map(({ name, templated }) => ({ name, path: join(compile.outDir, name), templated }));
}

export function depInfoPath(compile: RustCompile): string {
  return join(compile.outDir, `${compile.crateName}${compile.extraFilename}.d`);
}
