import { basename } from 'node:path';

/**
 * A one-line answer for calls that cannot be a compiler call, instead of forwarding them somewhere
 * that answers with a wall of usage text (what `sccache -E` does when the cc crate probes it).
 */
export function misuseMessage(argv: readonly string[]): string | undefined {
  const first = argv[0];
  if (first === undefined) return undefined;
  if (first.startsWith('-')) {
    return `hoard: '${first}' is not a compiler. Use hoard as 'hoard <compiler> [args…]' (e.g. RUSTC_WRAPPER=hoard, or CC="hoard cc" with CC_KNOWN_WRAPPER_CUSTOM=hoard); 'hoard --help' lists the commands.`;
  }
  if (basename(first) === 'hoard' && argv.length === 1) {
    return "hoard: 'hoard hoard' names no compiler. Use 'hoard <compiler> [args…]'.";
  }
  return undefined;
}
