# Evaluates modules/home-manager.nix under lib.evalModules with the real nixpkgs lib and home-manager's
# library, and returns what the module set, as JSON-friendly values. Used by module.test.ts.
#
# Nixpkgs' `pkgs` is far too big to fetch for a test, so `stubPkgs` below stands in for it: it holds
# only what the modules touch, and its formats.toml `generate` returns the settings it was given
# instead of building a file. Everything else (the module system, option types, mkDefault priorities,
# home-manager's file type and its real programs.cargo module) is the real thing.
{
  nixpkgsLib,
  homeManager,
  userConfig ? { },
  withCargoModule ? false,
  system ? "x86_64-linux",
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

  # The TOML value type of nixpkgs' pkgs.formats.toml, spelled out.
  tomlValue =
    types.nullOr (
      types.oneOf [
        types.bool
        types.int
        types.float
        types.str
        types.path
        (types.attrsOf tomlValue)
        (types.listOf tomlValue)
      ]
    )
    // {
      description = "TOML value";
    };

  stubPkgs = {
    inherit system;
    stdenv.hostPlatform = {
      inherit system;
      isLinux = lib.hasSuffix "-linux" system;
      isDarwin = lib.hasSuffix "-darwin" system;
    };
    hoard = stubDerivation "hoard";
    cargo = stubDerivation "cargo";
    formats.toml = _: {
      type = types.attrsOf tomlValue;
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
      systemd.user.services = mkOption {
        type = types.attrsOf types.attrs;
        default = { };
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
      meta = mkOption {
        type = types.lazyAttrsOf types.raw;
        default = { };
      };
    };
  };

  evaluated = lib.evalModules {
    modules = [
      homeManagerOptions
      { _module.args.pkgs = stubPkgs; }
      ../../modules/home-manager.nix
      userConfig
    ]
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
}
