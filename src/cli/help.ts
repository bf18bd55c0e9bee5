export const HELP = `hoard — a compiler cache for Rust, C and C++

As a compiler wrapper (cargo does this for you; 'hoard init' sets it up):
  RUSTC_WRAPPER=hoard cargo build       or in ~/.cargo/config.toml: [build] rustc-wrapper = "hoard"
  hoard <compiler> [args…]              run one compile through the cache
  CC="hoard cc" CXX="hoard c++" CC_KNOWN_WRAPPER_CUSTOM=hoard    C and C++ (make, CMake, the cc crate)

Commands:
  hoard stats                           on a terminal: the live dashboard (q quits, ↑↓ select, s sort, z zero,
                                        w why a compile missed)
  hoard stats --no-live | --json        hits, misses, why calls were not cached, time saved (also when piped)
  hoard stats --by worktree [--json]    the same for each git worktree, and where its hits came from
  hoard stats --zero                    reset the statistics
  hoard why [CRATE|PATH] [--worktree DIR] [--json]
                                        why compiles missed: the latest compiles of a crate (or C source)
                                        with what differed from the one before; without an argument, the
                                        misses of the last build by cause
  hoard server start [--foreground] [--log-level error|warn|info|debug]
  hoard server stop                     stop the server once the compiles in progress are done
  hoard server status [--json]
  hoard config [--json]                 the configuration in force and where each value came from
  hoard config set KEY VALUE            change one setting in the config file (comments kept);
                                        a running server applies it within a second
  hoard config set --rewrite KEY VALUE  the same where the line cannot be edited in place: rewrites the
                                        whole file, without its comments
  hoard init [--check] [--size 20G]     set cargo up to use hoard (~/.cargo/config.toml: rustc-wrapper,
                                        incremental = false) and write a config file; --check only shows
                                        the changes (exit 1 when some are pending)
        [--replace-wrapper]             replace another rustc-wrapper (sccache, say) instead of keeping it
        [--keep-incremental]            leave cargo's incremental setting alone
        [--no-basedirs]                 leave basedirs off (by default init sets basedirs = ["auto"])
  hoard init --cc [--write-rc | --write-envrc]
                                        the lines that send make, autotools, Meson and CMake builds
                                        through hoard; written to the shell's rc file or ./.envrc
  hoard doctor [--json]                 check the set-up, one line each with what to do; exit 1 when
                                        something needs attention
  hoard help | --help | -h              this text
  hoard --version | -V

Aliases: --start-server, --stop-server, --show-stats (-s), --zero-stats (-z).

Files: config in $XDG_CONFIG_HOME/hoard/config.toml (HOARD_CONFIG), cache in
$XDG_CACHE_HOME/hoard (HOARD_DIR). Errors and every fallback to a direct compile are
logged to error.log in the cache directory. Documentation: docs/ in the hoard repository.
`;

/**
 * The lines of HELP about one command (`hoard stats --help`): its usage lines and the lines that
 * continue them, then where the rest is. Undefined for a name HELP does not list.
 */
export function commandHelp(command: string): string | undefined {
  const lines: string[] = [];
  let inCommand = false;
  for (const line of HELP.split('\n')) {
    const usage = /^ {2}hoard ([a-z]+)/.exec(line);
    if (usage) inCommand = usage[1] === command;
    else if (!/^ {3,}\S/.test(line)) inCommand = false;
    if (inCommand) lines.push(line);
  }
  return lines.length === 0 ? undefined : `${lines.join('\n')}\n\nAll commands: hoard --help\n`;
}
