import { basename } from 'node:path';

/**
 * `hoard hoard rustc …`: RUSTC_WRAPPER and RUSTC_WORKSPACE_WRAPPER both set to hoard, or hoard named as
 * its own compiler. One hoard is enough.
 */
export function withoutLeadingHoard(argv: readonly string[]): string[] {
  let start = 0;
  while (start < argv.length && basename(argv[start]!) === 'hoard') start += 1;
  return argv.slice(start);
}

/**
 * A one-line answer for calls that cannot be a compiler call, instead of forwarding them somewhere
 * that answers with a wall of usage text (what `sccache -E` does when the cc crate probes it).
 * `argv` is what follows `hoard`, with any leading `hoard` already dropped.
 */
export function misuseMessage(argv: readonly string[], typedHoardTwice = false): string | undefined {
  const first = argv[0];
  if (first === undefined) {
    return typedHoardTwice
      ? "hoard: 'hoard hoard' names no compiler. Use 'hoard <compiler> [args…]'."
      : "hoard: no compiler given. Use hoard as 'hoard <compiler> [args…]' (cargo does: RUSTC_WRAPPER=hoard); 'hoard --help' lists the commands.";
  }
  if (first.startsWith('-')) {
    return `hoard: '${first}' is not a compiler. Use hoard as 'hoard <compiler> [args…]' (e.g. RUSTC_WRAPPER=hoard, or CC="hoard cc" with CC_KNOWN_WRAPPER_CUSTOM=hoard); 'hoard --help' lists the commands.`;
  }
  return undefined;
}
