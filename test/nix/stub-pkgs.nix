# Stands in for nixpkgs' package set in tests: nixpkgs itself is far too big to fetch here, and nothing
# can be built. Builders return the arguments they were given (plus what a derivation needs to be
# used as one), so a test can read what flake.nix and nix/*.nix pass them. `lib` is the real one.
{ lib, system }:

let
  fakeStorePath = name: "/nix/store/00000000000000000000000000000000-${name}";
  derivationLike =
    args:
    args
    // {
      type = "derivation";
      name = args.name or "${args.pname}-${args.version}";
      outPath = fakeStorePath (args.name or args.pname or "stub");
      meta = args.meta or { };
    };
  tool = name: derivationLike {
    inherit name;
    meta.mainProgram = name;
  };
  pkgs = {
    inherit lib system;
    stdenv.hostPlatform = {
      inherit system;
      isLinux = lib.hasSuffix "-linux" system;
      isDarwin = lib.hasSuffix "-darwin" system;
    };
    callPackage =
      fn: overrides:
      let
        f = if builtins.isFunction fn then fn else import fn;
      in
      f (builtins.intersectAttrs (builtins.functionArgs f) pkgs // overrides);
    mkShell = args: derivationLike ({ name = "nix-shell"; } // args) // { stubOf = "mkShell"; };
    buildNpmPackage = args: derivationLike args // { stubOf = "buildNpmPackage"; };
    fetchNpmDeps = args: derivationLike args // { stubOf = "fetchNpmDeps"; };
    # A real file (in the store, as Nix writes builtins.toFile) so that a test can read the script.
    writeShellScript = name: text: builtins.toFile name "#!/bin/sh\n${text}";
    nodejs_24 = tool "node";
    cargo = tool "cargo";
    rustc = tool "rustc";
    nixfmt-tree = tool "treefmt";
  };
in
pkgs
