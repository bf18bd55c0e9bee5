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

  # A secret is named by a string path outside the Nix store: a Nix path (./secret) would be copied
  # into the store, where every user of the machine can read it.
  secretPath = lib.types.strMatching "/.*";
  inStore = path: path != null && lib.hasPrefix builtins.storeDir path;

  remoteModule = lib.types.submodule {
    options = {
      url = lib.mkOption {
        type = lib.types.str;
        example = "s3://team-build-cache/hoard";
        description = "`s3://BUCKET[/PREFIX]`, `redis://HOST[:PORT][/DB]`, `rediss://…` or `https://HOST[/PATH]` (no password here: use passwordFile or tokenFile).";
      };
      name = lib.mkOption { type = lib.types.nullOr lib.types.str; default = null; description = "What statistics and `hoard doctor` call it (default: the URL)."; };
      readOnly = lib.mkOption { type = lib.types.bool; default = false; description = "Only read from it (developer machines read what CI wrote)."; };
      prefix = lib.mkOption { type = lib.types.nullOr lib.types.str; default = null; description = "Key prefix (default: the S3 URL's path, else `hoard`)."; };
      timeout = lib.mkOption { type = lib.types.nullOr lib.types.str; default = null; example = "2s"; description = "Bound on a lookup (default 2s)."; };
      connectTimeout = lib.mkOption { type = lib.types.nullOr lib.types.str; default = null; example = "500ms"; description = "Bound on connecting (default 500ms)."; };
      uploadTimeout = lib.mkOption { type = lib.types.nullOr lib.types.str; default = null; example = "60s"; description = "Bound on an upload (default 60s)."; };
      coolOff = lib.mkOption { type = lib.types.nullOr lib.types.str; default = null; example = "30s"; description = "How long a failing remote is left alone (default 30s)."; };
      region = lib.mkOption { type = lib.types.nullOr lib.types.str; default = null; description = "S3: the bucket's region."; };
      endpoint = lib.mkOption { type = lib.types.nullOr lib.types.str; default = null; example = "https://minio.internal:9000"; description = "S3: an S3-compatible server."; };
      pathStyle = lib.mkOption { type = lib.types.nullOr lib.types.bool; default = null; description = "S3: path-style requests (default: with an endpoint)."; };
      anonymous = lib.mkOption { type = lib.types.bool; default = false; description = "S3: unsigned requests to a public bucket (needs readOnly)."; };
      profile = lib.mkOption { type = lib.types.nullOr lib.types.str; default = null; description = "S3: the profile of the AWS shared credentials file."; };
      credentialsFile = lib.mkOption {
        type = lib.types.nullOr secretPath;
        default = null;
        example = "/run/agenix/hoard-aws-credentials";
        description = "S3: an AWS shared credentials file, as a string path outside the Nix store (agenix, sops-nix). Default: the AWS standard chain.";
      };
      username = lib.mkOption { type = lib.types.nullOr lib.types.str; default = null; description = "Redis: the ACL user. HTTP: the user of basic authentication."; };
      passwordFile = lib.mkOption {
        type = lib.types.nullOr secretPath;
        default = null;
        example = "/run/agenix/hoard-redis-password";
        description = "Redis or HTTP: a file holding the password, as a string path outside the Nix store.";
      };
      tokenFile = lib.mkOption {
        type = lib.types.nullOr secretPath;
        default = null;
        example = "/run/agenix/hoard-cache-token";
        description = "HTTP: a file holding a bearer token, as a string path outside the Nix store.";
      };
      cluster = lib.mkOption { type = lib.types.bool; default = false; description = "Redis: the URL names a node of a Redis Cluster."; };
      expiry = lib.mkOption { type = lib.types.nullOr lib.types.str; default = null; example = "14d"; description = "Redis: each value lives this long after it was last written or read."; };
    };
  };

  # The remote as a table of hoard's config file: snake_case keys, unset options left out.
  remoteSettings =
    remote:
    lib.filterAttrs (_: value: value != null && value != false) {
      inherit (remote) url name prefix timeout region endpoint profile username cluster expiry anonymous;
      read_only = remote.readOnly;
      connect_timeout = remote.connectTimeout;
      upload_timeout = remote.uploadTimeout;
      cool_off = remote.coolOff;
      path_style = remote.pathStyle;
      credentials_file = remote.credentialsFile;
      password_file = remote.passwordFile;
      token_file = remote.tokenFile;
    }
    // lib.optionalAttrs (remote.pathStyle == false) { path_style = false; };

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

    remotes = lib.mkOption {
      type = lib.types.listOf remoteModule;
      default = [ ];
      example = lib.literalExpression ''
        [
          {
            url = "s3://team-build-cache/hoard";
            region = "eu-west-1";
            readOnly = true;
            credentialsFile = "/run/agenix/hoard-aws-credentials";
          }
        ]
      '';
      description = ''
        Shared caches (S3, Redis, HTTP) asked in order after the local disk; secrets by file path only.
      '';
    };

    baseDirs = lib.mkOption {
      type = lib.types.bool;
      default = true;
      description = ''
        Set `basedirs = [ "auto" ]` (a default your `settings.basedirs` overrides), so crates hit in every worktree.
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

    service.enable = lib.mkEnableOption "a hoard server started at login that does not exit when idle";
  };

  config = lib.mkIf cfg.enable (
    lib.mkMerge [
      {
        home.packages = [ cfg.package ];

        programs.hoard.settings.basedirs = lib.mkIf cfg.baseDirs (lib.mkDefault [ "auto" ]);

        xdg.configFile."hoard/config.toml" = lib.mkIf (cfg.settings != { } || cfg.remotes != [ ]) {
          source = tomlFormat.generate "hoard-config.toml" (
            cfg.settings
            // lib.optionalAttrs (cfg.remotes != [ ]) { remotes = (cfg.settings.remotes or [ ]) ++ map remoteSettings cfg.remotes; }
          );
        };

        assertions = lib.concatMap (remote: [
          {
            assertion = !(inStore remote.passwordFile) && !(inStore remote.credentialsFile) && !(inStore remote.tokenFile);
            message = "programs.hoard.remotes: ${remote.url}: passwordFile, tokenFile and credentialsFile must name files outside the Nix store (which every user can read); use agenix, sops-nix or a file of your own.";
          }
          {
            assertion = !(lib.hasInfix "@" remote.url);
            message = "programs.hoard.remotes: a URL holds credentials (user:password@host), which would be written into the Nix store; use username and passwordFile (or tokenFile).";
          }
        ]) cfg.remotes;

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
