# home-manager module for hoard: `programs.hoard.enable = true;` and every cargo build of the account
# goes through hoard (C and C++ too with `c.enable`). Modelled on home-manager's own programs/atuin.nix
# (settings as TOML, a daemon under systemd or launchd) and programs/cargo.nix (which owns ~/.cargo/config.toml: this module adds
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

  # Options of home-manager's systemd and launchd modules (systemd.user.enable is from 2025; before it,
  # systemd ran on every Linux).
  systemdUser = config.systemd.user.enable or pkgs.stdenv.hostPlatform.isLinux;
  launchdAgents = config.launchd.enable or pkgs.stdenv.hostPlatform.isDarwin;

  serverCommand = [
    wrapper
    "server"
    "start"
    "--foreground"
  ];
in
{
  meta.maintainers = [ (import ../nix/maintainers.nix).hoard ];

  options.programs.hoard = {
    enable = lib.mkEnableOption "hoard, a compiler cache for Rust, C and C++";

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
        Configuration written to {file}`$XDG_CONFIG_HOME/hoard/config.toml` (none while empty).
        See hoard's docs/configuration.md for the keys.
      '';
    };

    enableCargoIntegration = lib.mkOption {
      type = lib.types.bool;
      default = true;
      description = ''
        Whether cargo runs rustc through hoard: through {option}`programs.cargo.settings` when
        {option}`programs.cargo.enable` is set, else {env}`RUSTC_WRAPPER`.
      '';
    };

    disableIncrementalCompilation = lib.mkOption {
      type = lib.types.bool;
      default = true;
      description = ''
        Whether to turn off cargo's incremental compilation, whose builds cannot be cached.
      '';
    };

    c.enable = lib.mkEnableOption "C and C++ through hoard ({env}`CC`, {env}`CXX`)";

    service.enable = lib.mkEnableOption "a hoard server started at login that does not exit when idle";
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
            CC = lib.mkDefault "hoard cc";
            CXX = lib.mkDefault "hoard c++";
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
          # As home-manager's own daemons assert: without a user service manager nothing would start it.
          {
            assertion = systemdUser || launchdAgents;
            message = "programs.hoard.service needs systemd.user.enable (Linux) or launchd.enable (macOS); without them no server is started at login.";
          }
        ];

        systemd.user.services.hoard = lib.mkIf systemdUser {
          Unit.Description = "hoard compiler cache server";
          Service = {
            ExecStart = lib.escapeShellArgs serverCommand;
            # The service's server is the user's one server: it stays up instead of idling out.
            Environment = [ "HOARD_IDLE_TIMEOUT=0" ];
            Restart = "on-failure";
          };
          Install.WantedBy = [ "default.target" ];
        };

        launchd.agents.hoard = lib.mkIf launchdAgents {
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
