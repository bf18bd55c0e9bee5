# A shell where cargo goes through hoard. Used by this repository's devShell and offered to other
# projects as hoard.lib.mkDevShell. Nothing here starts, stops or restarts a hoard server: a server is
# shared by every shell of the user, and restarting it from one shell broke builds in the others.
{
  lib,
  mkShell,
  hoard,
  # Extra packages of the shell (a Rust toolchain, say).
  packages ? [ ],
  # Written to the user's hoard config file as cache_size when there is no such file yet (never
  # changed when there is one: the user's config wins, and the running server reloads it). null: leave
  # the config alone.
  cacheSize ? null,
  # C and C++ through hoard as well (cc-rs honours CC_KNOWN_WRAPPER_CUSTOM): make, autotools, Meson
  # and new CMake build directories read CC and CXX, as `hoard init --cc` writes them.
  enableC ? false,
  # Adds basedirs = ["auto"] to the user's hoard config file when it sets no basedirs (a value of the
  # user's own, [] included, is left alone): workspace crates then hit in every worktree and checkout.
  baseDirs ? true,
  # The compilers CC and CXX run through hoard (clang and clang++, say).
  cCompiler ? "cc",
  cxxCompiler ? "c++",
  shellHook ? "",
  ...
}@args:

let
  wrapper = lib.getExe hoard;
  extra = removeAttrs args [
    "lib"
    "mkShell"
    "hoard"
    "packages"
    "cacheSize"
    "enableC"
    "baseDirs"
    "cCompiler"
    "cxxCompiler"
    "shellHook"
  ];
in
assert lib.assertMsg (
  cacheSize == null || builtins.isString cacheSize
) "hoard mkDevShell: cacheSize is a string such as \"20G\" (or null), got ${builtins.typeOf cacheSize}";
mkShell (
  extra
  // {
    packages = [ hoard ] ++ packages;

    RUSTC_WRAPPER = wrapper;
    # Incremental artifacts cannot be cached; cargo turns them on for dev builds.
    CARGO_INCREMENTAL = "0";
  }
  // lib.optionalAttrs enableC {
    CC = "hoard ${cCompiler}";
    CXX = "hoard ${cxxCompiler}";
    CC_KNOWN_WRAPPER_CUSTOM = "hoard";
  }
  // {
    # `nix develop` points TMPDIR at a directory that is deleted with the shell, after these
    # attributes are set: a TMPDIR that outlives the shell has to be exported here.
    shellHook = ''
      export TMPDIR="''${XDG_CACHE_HOME:-$HOME/.cache}/hoard-tmp"
      mkdir -p "$TMPDIR"
    ''
    + lib.optionalString (cacheSize != null) ''
      hoard_config="''${HOARD_CONFIG:-''${XDG_CONFIG_HOME:-$HOME/.config}/hoard/config.toml}"
      if [ ! -e "$hoard_config" ]; then
        mkdir -p "$(dirname "$hoard_config")"
        # A TOML string as JSON writes it (the same escapes), through a shell word that keeps it as it is.
        printf '%s\n' ${lib.escapeShellArg "cache_size = ${builtins.toJSON cacheSize}"} > "$hoard_config"
        echo "hoard: wrote cache_size = "${lib.escapeShellArg cacheSize}" to $hoard_config (edit it there; the server picks it up)" >&2
      fi
      unset hoard_config
    ''
    + lib.optionalString baseDirs ''
      hoard_config="''${HOARD_CONFIG:-''${XDG_CONFIG_HOME:-$HOME/.config}/hoard/config.toml}"
      # A link is managed elsewhere (the home-manager module): never replaced here.
      if [ ! -L "$hoard_config" ] && ! grep -qs '^[[:space:]]*basedirs[[:space:]]*=' "$hoard_config"; then
        mkdir -p "$(dirname "$hoard_config")"
        # First in the file: a top-level key must come before any table.
        { printf 'basedirs = ["auto"]\n'; cat "$hoard_config" 2>/dev/null || true; } > "$hoard_config.hoard-new"
        mv "$hoard_config.hoard-new" "$hoard_config"
        echo "hoard: set basedirs = [\"auto\"] in $hoard_config: your workspace's crates hit in every worktree and checkout (compiled with --remap-path-prefix=<worktree>=.); basedirs = [] there, or mkDevShell { baseDirs = false; }, leaves it off" >&2
      fi
      unset hoard_config
    ''
    + shellHook;
  }
)
