# The maintainers named in the home-manager module's meta.maintainers, in nixpkgs' maintainer format.
# Add your GitHub handle and id here when you take the module on.
{
  hoard = {
    name = "hoard maintainers";
  };
}
