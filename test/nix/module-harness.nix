# Evaluates modules/home-manager.nix under lib.evalModules with the real nixpkgs lib and home-manager's
# library, and returns what the module set, as JSON-friendly values. Used by module.test.ts.
#
# Nixpkgs' `pkgs` is far too big to fetch for a test, so `stubPkgs` below stands in for it: it holds
# only what the modules touch, and its formats.toml `generate` returns the settings it was given
# instead of building a file (its type is the real lib.types.toml). Everything else (the module
# system, option types, mkDefault priorities, home-manager's file type and its real programs.cargo
# module) is the real thing.
#
# `hoardModules` says how hoard's module comes in: "file" (modules/home-manager.nix), or the flake's
# "homeModules" / "homeManagerModules" (flake.nix's outputs, called with this lib and these stubs),
# each as often as it is named.
{
  nixpkgsLib,
  homeManager,
  userConfig ? { },
  withCargoModule ? false,
  system ? "x86_64-linux",
  hoardModules ? [ "file" ],
}:

let
  lib = import "${homeManager}/modules/lib/stdlib-extended.nix" (import "${nixpkgsLib}/lib");
  inherit (lib) mkOption types;

  stubDerivation = name: {
    type = "derivation";
    inherit name;
    outPath = "/nix/store/00000000000000000000000000000000-${name}";
    meta.mainProgram = name;
  };

  isLinux = lib.hasSuffix "-linux" system;
  isDarwin = lib.hasSuffix "-darwin" system;

  # The package set of the flake tests (callPackage, buildNpmPackage, …), plus what the module reads.
  stubPkgs = import ./stub-pkgs.nix { inherit lib system; } // {
    hoard = stubDerivation "hoard";
    cargo = stubDerivation "cargo";
    formats.toml = _: {
      type = types.attrsOf types.toml;
      generate = name: value: {
        outPath = "/nix/store/00000000000000000000000000000000-${name}";
        generatedFrom = value;
      };
    };
  };

  homeDirectory = "/home/test";
  fileType =
    (import "${homeManager}/modules/lib/file-type.nix" {
      inherit homeDirectory lib;
      pkgs = stubPkgs;
    }).fileType;

  # The home-manager options the module writes to, declared as home-manager declares them (the file
  # options with home-manager's own file type) or, for unit contents, as loosely as it checks them.
  homeManagerOptions = {
    options = {
      home.packages = mkOption {
        type = types.listOf types.package;
        default = [ ];
      };
      home.sessionVariables = mkOption {
        type = types.lazyAttrsOf (types.either types.str (types.either types.int types.path));
        default = { };
      };
      home.homeDirectory = mkOption {
        type = types.str;
        default = homeDirectory;
      };
      home.file = mkOption {
        type = fileType "home.file" "{env}`HOME`" homeDirectory;
        default = { };
      };
      xdg.configFile = mkOption {
        type = fileType "xdg.configFile" "{var}`xdg.configHome`" "${homeDirectory}/.config";
        default = { };
      };
      systemd.user.enable = mkOption {
        type = types.bool;
        default = isLinux;
      };
      systemd.user.services = mkOption {
        type = types.attrsOf types.attrs;
        default = { };
      };
      launchd.enable = mkOption {
        type = types.bool;
        default = isDarwin;
      };
      launchd.agents = mkOption {
        type = types.attrsOf (
          types.submodule {
            options.enable = mkOption {
              type = types.bool;
              default = false;
            };
            options.config = mkOption {
              type = types.attrs;
              default = { };
            };
          }
        );
        default = { };
      };
      assertions = mkOption {
        type = types.listOf types.unspecified;
        default = [ ];
      };
      # nixpkgs' meta.maintainers checks each entry against lib.maintainers, which a module outside
      # nixpkgs and home-manager cannot be in: here only the entries' shape is checked.
      meta.maintainers = mkOption {
        type = types.listOf (types.attrsOf (types.either types.str types.int));
        default = [ ];
      };
    };
  };

  # flake.nix's outputs, with nixpkgs made of this lib and stub package sets for the flake's systems.
  flake =
    let
      outputs = (import ../../flake.nix).outputs {
        self = outputs // {
          outPath = toString ../..;
        };
        nixpkgs = {
          inherit lib;
          legacyPackages = lib.genAttrs [ "x86_64-linux" "aarch64-linux" "aarch64-darwin" ] (
            system: import ./stub-pkgs.nix { inherit lib system; }
          );
        };
        home-manager = { };
      };
    in
    outputs;
  hoardModule =
    name:
    {
      file = ../../modules/home-manager.nix;
      homeModules = flake.homeModules.default;
      homeManagerModules = flake.homeManagerModules.default;
    }
    .${name};

  evaluated = lib.evalModules {
    modules = [
      homeManagerOptions
      { _module.args.pkgs = stubPkgs; }
      userConfig
    ]
    ++ map hoardModule hoardModules
    ++ lib.optional withCargoModule "${homeManager}/modules/programs/cargo.nix";
  };
  inherit (evaluated) config;

  generated = file: if file ? source.generatedFrom then file.source.generatedFrom else null;
in
{
  hoardConfigFile =
    if config.xdg.configFile ? "hoard/config.toml" then
      {
        inherit (config.xdg.configFile."hoard/config.toml") target;
        settings = generated config.xdg.configFile."hoard/config.toml";
      }
    else
      null;
  cargoConfigFile =
    if config.home.file ? ".cargo/config.toml" then generated config.home.file.".cargo/config.toml" else null;
  sessionVariables = config.home.sessionVariables;
  packages = map (p: p.name) config.home.packages;
  systemdServices = config.systemd.user.services;
  launchdAgents = config.launchd.agents;
  failedAssertions = map (a: a.message) (lib.filter (a: !a.assertion) config.assertions);
  package = config.programs.hoard.package.name;
  # The entries hoard's module gives (home-manager's modules name theirs from nixpkgs' maintainer list,
  # which nixpkgs.lib does not carry).
  maintainers = lib.concatMap (definition: definition.value) (
    lib.filter (
      definition: lib.hasSuffix "modules/home-manager.nix" (toString definition.file)
    ) evaluated.options.meta.maintainers.definitionsWithLocations
  );
  # Each option of programs.hoard with its description, as home-manager's manual shows them.
  # As home-manager's manual lists them: the internal ones (a submodule's _module.args) are not shown.
  optionDescriptions = map (option: { inherit (option) name description; }) (
    lib.filter (option: option.visible && !option.internal) (lib.optionAttrSetToDocList evaluated.options.programs.hoard)
  );
}
