{
  lib,
  buildNpmPackage,
  fetchNpmDeps,
  nodejs_24,
}:

let
  packageJson = lib.importJSON ../package.json;
  npmDepsRecord = lib.importJSON ./npm-deps.json;

  # Only what the build reads, so that editing docs or tests does not rebuild hoard.
  src = lib.fileset.toSource {
    root = ../.;
    fileset = lib.fileset.unions [
      ../package.json
      ../package-lock.json
      ../tsconfig.json
      ../bin
      ../src
      ../scripts/build.mjs
      ./lockfile-resolved.mjs
    ];
  };

  # package-lock.json is committed without `resolved` URLs, which fetchNpmDeps needs. They are added
  # here, from the registry of the npm inside the build sandbox, by the same script
  # scripts/npm-deps-hash.mjs uses to compute npmDepsHash. The fetch and the build share this
  # postPatch: npmConfigHook refuses to build when the two lockfiles differ.
  postPatch = ''
    registry=$(HOME="$TMPDIR" npm config get registry)
    node nix/lockfile-resolved.mjs package-lock.json "$registry"
  '';
in
buildNpmPackage {
  pname = "hoard";
  inherit (packageJson) version;
  inherit src postPatch;

  nodejs = nodejs_24;

  npmDeps = fetchNpmDeps {
    name = "hoard-${packageJson.version}-npm-deps";
    inherit src postPatch;
    nativeBuildInputs = [ nodejs_24 ];
    hash = npmDepsRecord.npmDepsHash;
  };

  # npmInstallHook wraps every bin in `node <file>`, but bin/hoard is a shell script that hides
  # NODE_EXTRA_CA_CERTS before starting node (it runs once per compiler call). Point it at the
  # packaged node and at its own location (no readlink needed at run time), and link it as it is.
  postInstall = ''
    packageOut=$out/lib/node_modules/hoard
    substituteInPlace "$packageOut/bin/hoard" \
      --replace-fail '"''${HOARD_NODE:-node}"' '"''${HOARD_NODE:-${lib.getExe nodejs_24}}"' \
      --replace-fail 'self=$0' "self=$packageOut/bin/hoard"
    rm "$out/bin/hoard"
    ln -s "$packageOut/bin/hoard" "$out/bin/hoard"
  '';

  doInstallCheck = true;
  installCheckPhase = ''
    runHook preInstallCheck
    HOME="$TMPDIR" "$out/bin/hoard" --version
    runHook postInstallCheck
  '';

  meta = {
    inherit (packageJson) description;
    license = lib.licenses.mit;
    mainProgram = "hoard";
    platforms = lib.platforms.linux ++ lib.platforms.darwin;
  };
}
