{
  description = "hoard: a compiler cache for Rust, C and C++ that hits across git worktrees and never breaks a build";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixpkgs-unstable";
    # Only for checks.<system>.home-module: the module itself needs nothing from here.
    home-manager = {
      url = "github:nix-community/home-manager";
      inputs.nixpkgs.follows = "nixpkgs";
    };
  };

  outputs =
    {
      self,
      nixpkgs,
      home-manager,
    }:
    let
      inherit (nixpkgs) lib;
      systems = [
        "x86_64-linux"
        "aarch64-linux"
        "aarch64-darwin"
      ];
      forAllSystems = f: lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
      # A system outside `systems` (x86_64-darwin, riscv64-linux, …) gets the package built for it.
      hoardFor =
        pkgs:
        self.packages.${pkgs.stdenv.hostPlatform.system}.hoard or (pkgs.callPackage ./nix/package.nix { });

      # The key makes the module system take this module once however often it is imported (as
      # homeModules.default and as homeManagerModules.default, say); _file names it in errors.
      homeModule =
        { lib, pkgs, ... }:
        {
          key = "${toString ./flake.nix}#homeModules.default";
          _file = "${toString ./flake.nix}#homeModules.default";
          imports = [ ./modules/home-manager.nix ];
          config.programs.hoard.package = lib.mkDefault (hoardFor pkgs);
        };
    in
    {
      packages = forAllSystems (pkgs: {
        hoard = pkgs.callPackage ./nix/package.nix { };
        default = hoardFor pkgs;
      });

      apps = forAllSystems (
        pkgs:
        let
          hoard = hoardFor pkgs;
        in
        {
          default = {
            type = "app";
            program = lib.getExe hoard;
            meta.description = "hoard, the compiler cache (run with --help for its commands)";
          };
          stats = {
            type = "app";
            program = toString (
              pkgs.writeShellScript "hoard-stats" ''exec ${lib.getExe hoard} stats "$@"''
            );
            meta.description = "hoard's live statistics: hits, misses and time saved";
          };
        }
      );

      lib.mkDevShell = { pkgs, ... }@args: pkgs.callPackage ./nix/dev-shell.nix (
        { hoard = hoardFor pkgs; } // removeAttrs args [ "pkgs" ]
      );

      devShells = forAllSystems (pkgs: {
        default = self.lib.mkDevShell {
          inherit pkgs;
          # For working on hoard itself: node for the build and tests, cargo for the end-to-end tests.
          packages = [
            pkgs.nodejs_24
            pkgs.cargo
            pkgs.rustc
          ];
          cacheSize = "20G";
        };
      });

      overlays.default = final: _prev: {
        hoard = final.callPackage ./nix/package.nix { };
      };

      homeModules.default = homeModule;
      # The name home-manager used before homeModules; kept so older configurations keep working.
      homeManagerModules = self.homeModules;

      formatter = forAllSystems (pkgs: pkgs.nixfmt-tree);

      checks = forAllSystems (
        pkgs:
        {
          package = hoardFor pkgs;
          devShell = self.devShells.${pkgs.stdenv.hostPlatform.system}.default;
          home-module =
            (home-manager.lib.homeManagerConfiguration {
              inherit pkgs;
              modules = [
                self.homeModules.default
                {
                  home.username = "check";
                  home.homeDirectory = if pkgs.stdenv.hostPlatform.isDarwin then "/Users/check" else "/home/check";
                  home.stateVersion = "25.11";
                  programs.cargo.enable = true;
                  programs.hoard = {
                    enable = true;
                    settings.cache_size = "20G";
                    service.enable = true;
                  };
                }
              ];
            }).activationPackage;
        }
      );
    };
}
