import { readFileSync } from 'node:fs';

/**
 * Whether a process with this pid still runs: a server whose lanes or start lock are not to be removed,
 * or one `hoard server stop` waits for. Another user's process runs too (kill(0) says EPERM).
 */
export function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A server killed a moment ago stays a zombie until its parent reaps it: it answers kill(0), but is gone.
  // /proc/<pid>/stat is "pid (name) state …", and the name may hold spaces and parentheses.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return true;
  }
}
