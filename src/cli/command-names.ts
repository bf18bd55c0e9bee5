/**
 * First arguments that make `hoard` a command-line tool rather than a compiler wrapper. Kept apart from
 * the commands themselves so the wrapper can tell the two apart without loading any of them.
 */
export const SUBCOMMANDS = ['config', 'doctor', 'help', 'init', 'server', 'stats', 'why'] as const;

/** Flags people already type from sccache and ccache habits, mapped onto the subcommands. */
export const FLAG_ALIASES: Record<string, string[]> = {
  '--help': ['help'],
  '-h': ['help'],
  '--version': ['version'],
  '-V': ['version'],
  '--start-server': ['server', 'start'],
  '--stop-server': ['server', 'stop'],
  '--show-stats': ['stats', '--no-live'],
  '-s': ['stats', '--no-live'],
  '--zero-stats': ['stats', '--zero'],
  '-z': ['stats', '--zero'],
};

export function isCliInvocation(argv: readonly string[]): boolean {
  const first = argv[0];
  // `hoard` alone is a wrapper call without a compiler: it gets a one-line answer, not the help.
  if (first === undefined) return false;
  return (SUBCOMMANDS as readonly string[]).includes(first) || first === 'version' || first in FLAG_ALIASES;
}
