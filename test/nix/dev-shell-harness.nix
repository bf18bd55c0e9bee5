# Evaluates nix/dev-shell.nix with the real nixpkgs lib and the stub package set (its mkShell returns
# its arguments), for dev-shell.test.ts.
{
  nixpkgsLib,
  args ? { },
}:

let
  lib = import "${nixpkgsLib}/lib";
  pkgs = import ./stub-pkgs.nix {
    inherit lib;
    system = "x86_64-linux";
  };
  hoard = pkgs.callPackage ../../nix/package.nix { };
  shell = pkgs.callPackage ../../nix/dev-shell.nix ({ inherit hoard; } // args);
in
{
  hoardExe = lib.getExe hoard;
  environment = lib.filterAttrs (name: value: builtins.isString value && name != "shellHook" && name != "outPath") shell;
  inherit (shell) shellHook;
  packages = map (p: p.name) shell.packages;
}
