import { fstatSync } from 'node:fs';
import type { StdioOptions } from 'node:child_process';

type StdioEntry = 'inherit' | 'pipe' | 'ignore' | number;

/** The jobserver pipe that cargo handed down, from `--jobserver-fds=R,W` or `--jobserver-auth=R,W`. */
export function jobserverDescriptors(env: NodeJS.ProcessEnv): number[] {
  for (const variable of ['CARGO_MAKEFLAGS', 'MAKEFLAGS', 'MFLAGS']) {
    const match = /--jobserver-(?:fds|auth)=(\d+),(\d+)/.exec(env[variable] ?? '');
    if (match) return [Number(match[1]), Number(match[2])];
  }
  // `--jobserver-auth=fifo:PATH` needs nothing passed: the compiler opens the fifo itself.
  return [];
}

function isOpen(descriptor: number): boolean {
  try {
    fstatSync(descriptor);
    return true;
  } catch {
    return false;
  }
}

/**
 * Node passes a child only the descriptors named in its stdio list, so without this a compiler run by
 * the wrapper would lose cargo's jobserver ("failed to connect to jobserver") and oversubscribe the
 * machine. The descriptors keep their numbers, as CARGO_MAKEFLAGS names them.
 */
export function stdioWithJobserver(
  standard: [StdioEntry, StdioEntry, StdioEntry],
  env: NodeJS.ProcessEnv,
  open: (descriptor: number) => boolean = isOpen,
): StdioOptions {
  const descriptors = jobserverDescriptors(env).filter((descriptor) => descriptor > 2 && open(descriptor));
  if (descriptors.length === 0) return standard;
  const stdio: StdioEntry[] = [...standard];
  for (let index = 3; index <= Math.max(...descriptors); index += 1)
    stdio[index] = descriptors.includes(index) ? index : 'ignore';
  return stdio;
}
