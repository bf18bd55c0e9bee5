# home-manager module for hoard: `programs.hoard.enable = true;` and every cargo build of the account
# goes through hoard. Modelled on home-manager's own programs/atuin.nix (settings as TOML, a daemon
# under systemd or launchd) and programs/cargo.nix (which owns ~/.cargo/config.toml: this module adds
# to its settings instead of writing that file). docs/nix.md describes every option.
{
  config,
  lib,
  options,
  pkgs,
  ...
}:

let
  cfg = config.programs.hoard;
  tomlFormat = pkgs.formats.toml { };
  wrapper = lib.getExe cfg.package;

  # programs.cargo exists in home-manager since 2025; older releases, and configurations that leave
  # it out, get environment variables instead.
  cargoModuleExists = options ? programs.cargo.settings;
  viaCargoConfig = cargoModuleExists && config.programs.cargo.enable;

  serverCommand = [
    wrapper
    "server"
    "start"
    "--foreground"
  ];
in
{
  options.programs.hoard = {
    enable = lib.mkEnableOption "hoard, a compiler cache for Rust";

    package = lib.mkPackageOption pkgs "hoard" { };

    settings = lib.mkOption {
      inherit (tomlFormat) type;
      default = { };
      example = lib.literalExpression ''
        {
          cache_size = "20G";
          idle_timeout = "30m";
          basedirs = [ "auto" ];
        }
      '';
      description = ''
        hoard's configuration, written to {file}`$XDG_CONFIG_HOME/hoard/config.toml`. Any key of
        hoard's config file is accepted; `hoard config` shows what is in force. With no settings
        no file is written. A running server reloads the file when it changes.
      '';
    };

    enableCargoIntegration = lib.mkOption {
      type = lib.types.bool;
      default = true;
      description = ''
        Make cargo run rustc through hoard: `build.rustc-wrapper` in
        `programs.cargo.settings` (with `mkDefault`, so a value of your own wins) when
        `programs.cargo.enable` is set, else the `RUSTC_WRAPPER` session variable.
      '';
    };

    disableIncrementalCompilation = lib.mkOption {
      type = lib.types.bool;
      default = true;
      description = ''
        Turn off cargo's incremental compilation (`build.incremental = false`, or
        `CARGO_INCREMENTAL=0`): incremental builds cannot be cached, and cargo enables them for
        every dev build.
      '';
    };

    c.enable = lib.mkEnableOption ''
      C and C++ through hoard as well: sets `CC="hoard cc"`, `CXX="hoard c++"` and
      `CC_KNOWN_WRAPPER_CUSTOM=hoard` (which cc-rs needs to see hoard as a wrapper) as session
      variables, so every C build of the account, not only cargo's, uses them: make, autotools,
      Meson and new CMake build directories (what `hoard init --cc` writes)
    '';

    c.compiler = lib.mkOption {
      type = lib.types.str;
      default = "cc";
      example = "clang";
      description = "The C compiler `CC` runs through hoard.";
    };

    c.cxxCompiler = lib.mkOption {
      type = lib.types.str;
      default = "c++";
      example = "clang++";
      description = "The C++ compiler `CXX` runs through hoard.";
    };

    service.enable = lib.mkEnableOption ''
      a hoard server started at login (a systemd user service on Linux, a launchd agent on
      macOS) that does not exit when idle. Without it, the first compile starts a server, which
      exits after `idle_timeout`
    '';
  };

  config = lib.mkIf cfg.enable (
    lib.mkMerge [
      {
        home.packages = [ cfg.package ];

        xdg.configFile."hoard/config.toml" = lib.mkIf (cfg.settings != { }) {
          source = tomlFormat.generate "hoard-config.toml" cfg.settings;
        };

        home.sessionVariables = lib.mkMerge [
          (lib.mkIf (cfg.enableCargoIntegration && !viaCargoConfig) {
            RUSTC_WRAPPER = lib.mkDefault wrapper;
          })
          (lib.mkIf (cfg.disableIncrementalCompilation && !viaCargoConfig) {
            CARGO_INCREMENTAL = lib.mkDefault "0";
          })
          (lib.mkIf cfg.c.enable {
            CC = lib.mkDefault "hoard ${cfg.c.compiler}";
            CXX = lib.mkDefault "hoard ${cfg.c.cxxCompiler}";
            CC_KNOWN_WRAPPER_CUSTOM = lib.mkDefault "hoard";
          })
        ];
      }

      (lib.optionalAttrs cargoModuleExists {
        programs.cargo.settings.build = lib.mkIf viaCargoConfig (
          lib.mkMerge [
            (lib.mkIf cfg.enableCargoIntegration { rustc-wrapper = lib.mkDefault wrapper; })
            (lib.mkIf cfg.disableIncrementalCompilation { incremental = lib.mkDefault false; })
          ]
        );
      })

      (lib.mkIf cfg.service.enable {
        assertions = [
          {
            assertion = pkgs.stdenv.hostPlatform.isLinux || pkgs.stdenv.hostPlatform.isDarwin;
            message = "programs.hoard.service runs under systemd (Linux) or launchd (macOS) only.";
          }
        ];

        systemd.user.services.hoard = lib.mkIf pkgs.stdenv.hostPlatform.isLinux {
          Unit.Description = "hoard compiler cache server";
          Service = {
            ExecStart = lib.escapeShellArgs serverCommand;
            # The service's server is the user's one server: it stays up instead of idling out.
            Environment = [ "HOARD_IDLE_TIMEOUT=0" ];
            Restart = "on-failure";
          };
          Install.WantedBy = [ "default.target" ];
        };

        launchd.agents.hoard = lib.mkIf pkgs.stdenv.hostPlatform.isDarwin {
          enable = true;
          config = {
            ProgramArguments = serverCommand;
            EnvironmentVariables.HOARD_IDLE_TIMEOUT = "0";
            KeepAlive = {
              Crashed = true;
              SuccessfulExit = false;
            };
            ProcessType = "Background";
            RunAtLoad = true;
          };
        };
      })
    ]
  );
}
