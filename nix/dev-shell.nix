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
  # C and C++ through hoard as well (cc-rs honours CC_KNOWN_WRAPPER_CUSTOM).
  enableC ? false,
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
    CC = "hoard cc";
    CXX = "hoard c++";
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
    + shellHook;
  }
)
