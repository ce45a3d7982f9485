"""Locating provider executables: search order, lock-file pinning, version order, symlinks, bad config.

Everything runs against fake layouts in tmp_path with a hermetic environment (HOME and the XDG
directories inside tmp_path), except one test that finds the real mirror on this machine.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from repo_paths import SHARED

from driftdeck.core.live.provider.executable import (
    ProviderBinary,
    ProviderNotFound,
    _version_key,
    find_provider_binary,
    locked_version,
    terraform_platform,
)

PLATFORM = "linux_amd64"
AWS = "registry.terraform.io/hashicorp/aws"


def _executable(path: Path, mode: int = 0o755) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(mode)
    return path


def _install(root: Path, version: str, *, source: str = AWS, platform: str = PLATFORM, mode: int = 0o755) -> Path:
    """A provider unpacked the way mirrors, plugin caches and .terraform/providers hold it."""
    type_name = source.rsplit("/", 1)[1]
    return _executable(root / source / version / platform / f"terraform-provider-{type_name}_v{version}_x5", mode)


def _lock(workspace: Path, version: str, source: str = AWS) -> None:
    (workspace / ".terraform.lock.hcl").write_text(
        "# This file is maintained automatically by \"terraform init\".\n"
        f'provider "{source}" {{\n  version     = "{version}"\n  constraints = ">= 5.0.0"\n'
        '  hashes = [\n    "h1:abc=",\n  ]\n}\n'
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """No real CLI config, home directory or system plugin directory can leak into a test."""
    home = tmp_path / "home"
    home.mkdir()
    return {"HOME": str(home), "XDG_DATA_HOME": str(home / ".local" / "share"), "XDG_DATA_DIRS": str(tmp_path / "xdg")}


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    return ws


def _find(workspace: Path | None, env: dict[str, str], **kwargs: object) -> ProviderBinary:
    return find_provider_binary(AWS, workspace, env=env, platform=PLATFORM, **kwargs)  # type: ignore[arg-type]


def test_finds_what_terraform_init_installed(workspace: Path, env: dict[str, str]) -> None:
    """The workspace's .terraform/providers is the first place after explicit dirs."""
    exe = _install(workspace / ".terraform" / "providers", "5.100.0")
    assert _find(workspace, env) == ProviderBinary(AWS, "5.100.0", exe, ".terraform/providers")


def test_lock_file_version_wins_over_a_higher_one(workspace: Path, env: dict[str, str], tmp_path: Path) -> None:
    """Only the locked version qualifies, even when a newer one sits in the same cache."""
    cache = tmp_path / "cache"
    locked = _install(cache, "5.99.0")
    _install(cache, "6.2.0")
    _lock(workspace, "5.99.0")
    found = _find(workspace, {**env, "TF_PLUGIN_CACHE_DIR": str(cache)})
    assert (found.version, found.path, found.found_in) == ("5.99.0", locked, "plugin cache (TF_PLUGIN_CACHE_DIR)")


def test_lock_file_skips_locations_without_the_locked_version(workspace: Path, env: dict[str, str], tmp_path: Path) -> None:
    """A stale .terraform/providers (other version) does not stop the search reaching the cache."""
    _install(workspace / ".terraform" / "providers", "5.50.0")
    locked = _install(tmp_path / "cache", "5.99.0")
    _lock(workspace, "5.99.0")
    assert _find(workspace, {**env, "TF_PLUGIN_CACHE_DIR": str(tmp_path / "cache")}).path == locked


def test_highest_version_without_a_lock_file(workspace: Path, env: dict[str, str]) -> None:
    """Semantic order, not string order; a prerelease sorts below its release."""
    providers = workspace / ".terraform" / "providers"
    for version in ("5.9.0", "5.10.0", "5.100.0-rc1", "4.67.0"):
        _install(providers, version)
    newest = _install(providers, "5.100.0")
    (providers / AWS / "latest").mkdir()  # not a version: ignored
    found = _find(workspace, env)
    assert (found.version, found.path) == ("5.100.0", newest)


@pytest.mark.parametrize(
    "ordered",
    [
        ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
         "1.0.0-rc.1", "1.0.0", "1.0.1", "1.2.0", "1.10.0", "2.0.0"],
    ],
)
def test_version_order_is_semantic(ordered: list[str]) -> None:
    """The semver.org precedence example, plus numeric (not lexical) minor versions."""
    keys = [_version_key(v) for v in ordered]
    assert None not in keys
    assert keys == sorted(keys)  # type: ignore[type-var]
    assert _version_key("v1.0.0") is None and _version_key("1.0") is None and _version_key("01.0.0") is None


def test_symlink_in_dot_terraform_into_a_plugin_cache(workspace: Path, env: dict[str, str], tmp_path: Path) -> None:
    """With a plugin cache, init links the package directory into .terraform/providers."""
    cached = _install(tmp_path / "cache", "5.100.0")
    link = workspace / ".terraform" / "providers" / AWS / "5.100.0" / PLATFORM
    link.parent.mkdir(parents=True)
    link.symlink_to(cached.parent, target_is_directory=True)
    found = _find(workspace, env)
    assert found.found_in == ".terraform/providers"
    assert found.path == link / cached.name and found.path.resolve() == cached.resolve()


def test_symlinked_executable_is_followed(workspace: Path, env: dict[str, str], tmp_path: Path) -> None:
    """A link to an executable counts; a dangling link does not."""
    real = _executable(tmp_path / "bin" / "aws-plugin")
    package = workspace / ".terraform" / "providers" / AWS
    (package / "5.1.0" / PLATFORM).mkdir(parents=True)
    (package / "5.1.0" / PLATFORM / "terraform-provider-aws_v5.1.0_x5").symlink_to(real)
    (package / "6.0.0" / PLATFORM).mkdir(parents=True)
    (package / "6.0.0" / PLATFORM / "terraform-provider-aws_v6.0.0_x5").symlink_to(tmp_path / "gone")
    assert _find(workspace, env).version == "5.1.0"


def test_non_executable_and_directories_are_ignored(workspace: Path, env: dict[str, str]) -> None:
    """A file without the executable bit, or a directory with the executable's name, never qualifies."""
    providers = workspace / ".terraform" / "providers"
    _install(providers, "6.0.0", mode=0o644)
    (providers / AWS / "6.1.0" / PLATFORM / "terraform-provider-aws_v6.1.0_x5").mkdir(parents=True)
    _executable(providers / AWS / "6.2.0" / PLATFORM / "LICENSE.txt")
    usable = _install(providers, "5.0.0")
    assert _find(workspace, env).path == usable


def test_other_platforms_and_packed_archives_do_not_count(workspace: Path, env: dict[str, str], tmp_path: Path) -> None:
    """Only <os>_<arch> of this platform, and only unpacked packages."""
    mirror = tmp_path / "mirror"
    _install(mirror, "5.100.0", platform="darwin_arm64")
    zipped = mirror / AWS / f"terraform-provider-aws_5.100.0_{PLATFORM}.zip"
    zipped.write_bytes(b"PK\x03\x04")
    zipped.chmod(0o755)
    with pytest.raises(ProviderNotFound):
        _find(workspace, env, explicit_dirs=[mirror])
    darwin = find_provider_binary(AWS, workspace, env=env, platform="darwin_arm64", explicit_dirs=[mirror])
    assert darwin.version == "5.100.0"


def test_explicit_dir_wins(workspace: Path, env: dict[str, str], tmp_path: Path) -> None:
    """--provider-dir beats a newer provider elsewhere; it may be a mirror layout or a flat folder."""
    _install(workspace / ".terraform" / "providers", "6.0.0")
    flat = _executable(tmp_path / "flat" / "terraform-provider-aws_v5.1.0_x5")
    _executable(tmp_path / "flat" / "terraform-provider-google_v9.0.0_x5")
    found = _find(workspace, env, explicit_dirs=[tmp_path / "empty", tmp_path / "flat"])
    assert found == ProviderBinary(AWS, "5.1.0", flat, f"--provider-dir {tmp_path / 'flat'}")
    mirrored = _install(tmp_path / "mirror", "5.2.0")
    assert _find(workspace, env, explicit_dirs=[tmp_path / "mirror"]).path == mirrored


def test_cli_config_plugin_cache_and_filesystem_mirrors(workspace: Path, env: dict[str, str], tmp_path: Path) -> None:
    """plugin_cache_dir (with $VAR expansion, as Terraform does) comes before the filesystem mirrors."""
    config = tmp_path / "terraformrc"
    config.write_text(
        'plugin_cache_dir = "$HOME/.terraform.d/plugin-cache"\n'
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{tmp_path / "m1"}"\n    include = ["example.com/*/*"]\n  }}\n'
        f'  filesystem_mirror {{\n    path    = "{tmp_path / "m2"}"\n    include = ["registry.terraform.io/*/*"]\n  }}\n'
        '  direct {\n    exclude = ["registry.terraform.io/*/*"]\n  }\n'
        "}\n"
    )
    env = {**env, "TF_CLI_CONFIG_FILE": str(config)}
    _install(tmp_path / "m1", "6.0.0")  # this mirror only serves example.com providers
    from_mirror = _install(tmp_path / "m2", "5.0.0")
    found = _find(workspace, env)
    assert (found.path, found.found_in) == (from_mirror, f"filesystem mirror {tmp_path / 'm2'}")
    cached = _install(Path(env["HOME"]) / ".terraform.d" / "plugin-cache", "5.1.0")
    found = _find(workspace, env)
    assert (found.path, found.found_in) == (cached, f"plugin cache (plugin_cache_dir in {config})")


def test_mirror_exclude_pattern(workspace: Path, env: dict[str, str], tmp_path: Path) -> None:
    """A mirror that excludes the provider is skipped, as Terraform would skip it."""
    config = tmp_path / "terraformrc"
    config.write_text(f'provider_installation {{\n  filesystem_mirror {{\n    path    = "{tmp_path / "m"}"\n'
                      '    exclude = ["hashicorp/aws"]\n  }\n}\n')
    _install(tmp_path / "m", "5.0.0")
    with pytest.raises(ProviderNotFound):
        _find(workspace, {**env, "TF_CLI_CONFIG_FILE": str(config)})


def test_default_cli_config_files(workspace: Path, env: dict[str, str], tmp_path: Path) -> None:
    """Without TF_CLI_CONFIG_FILE: ~/.terraformrc and *.tfrc files (HCL or JSON) in ~/.terraform.d."""
    home = Path(env["HOME"])
    (home / ".terraform.d").mkdir()
    (home / ".terraform.d" / "mirror.tfrc.json").write_text(
        '{"provider_installation": {"filesystem_mirror": {"path": "%s"}}}' % (tmp_path / "m")
    )
    exe = _install(tmp_path / "m", "5.0.0")
    assert _find(workspace, env).found_in == f"filesystem mirror {tmp_path / 'm'}"
    (home / ".terraformrc").write_text(f'plugin_cache_dir = "{tmp_path / "c"}"\n')
    cached = _install(tmp_path / "c", "5.0.0")
    assert _find(workspace, env).path == cached != exe


@pytest.mark.parametrize(
    "text",
    [
        "provider_installation {{{",
        'plugin_cache_dir = "unterminated\n',
        "\x00\x01 not hcl at all",
        '{"provider_installation": ',
        "provider_installation = 3\nplugin_cache_dir = [1, 2]\n",
    ],
)
def test_malformed_cli_config_contributes_nothing(workspace: Path, env: dict[str, str], text: str,
                                                  tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A broken CLI config neither crashes nor prints; the search goes on to the implied mirrors."""
    config = tmp_path / "terraformrc"
    config.write_text(text)
    implied = _install(Path(env["HOME"]) / ".terraform.d" / "plugins", "5.0.0")
    found = _find(workspace, {**env, "TF_CLI_CONFIG_FILE": str(config)})
    assert (found.path, found.found_in) == (implied, f"implied local mirror {Path(env['HOME']) / '.terraform.d' / 'plugins'}")
    assert capsys.readouterr() == ("", "")


def test_missing_cli_config_file_is_fine(workspace: Path, env: dict[str, str], tmp_path: Path) -> None:
    """TF_CLI_CONFIG_FILE naming a file that does not exist contributes nothing."""
    implied = _install(workspace / "terraform.d" / "plugins", "5.0.0")
    assert _find(workspace, {**env, "TF_CLI_CONFIG_FILE": str(tmp_path / "nope")}).path == implied


def test_implied_mirrors_follow_xdg(workspace: Path, env: dict[str, str], tmp_path: Path) -> None:
    """$XDG_DATA_HOME/terraform/plugins, then each $XDG_DATA_DIRS entry."""
    in_data_dir = _install(tmp_path / "xdg" / "terraform" / "plugins", "5.0.0")
    assert _find(workspace, env).path == in_data_dir
    in_data_home = _install(Path(env["XDG_DATA_HOME"]) / "terraform" / "plugins", "4.0.0")
    assert _find(workspace, env).path == in_data_home


def test_not_found_is_one_line_naming_the_workspace(workspace: Path, env: dict[str, str]) -> None:
    """The message says what to do, in one line, and the exception lists where it looked."""
    with pytest.raises(ProviderNotFound) as caught:
        _find(workspace, env)
    message = str(caught.value)
    assert "\n" not in message
    assert message == (
        f"provider hashicorp/aws for {PLATFORM} not found: run terraform init in {workspace}, "
        "or set TF_PLUGIN_CACHE_DIR, a filesystem_mirror in the Terraform CLI config, or --provider-dir"
    )
    assert workspace / ".terraform" / "providers" in caught.value.searched


def test_not_found_names_the_locked_version(workspace: Path, env: dict[str, str]) -> None:
    """When the lock file pins a version nobody has, the message says which."""
    _install(workspace / ".terraform" / "providers", "5.0.0")
    _lock(workspace, "5.100.0")
    with pytest.raises(ProviderNotFound, match=r"^provider hashicorp/aws 5\.100\.0 \(locked in \.terraform\.lock\.hcl\) "):
        _find(workspace, env)


def test_without_a_workspace(env: dict[str, str], tmp_path: Path) -> None:
    """No workspace: no lock file, no .terraform; the other locations still count."""
    exe = _install(tmp_path / "cache", "5.0.0")
    assert _find(None, {**env, "TF_PLUGIN_CACHE_DIR": str(tmp_path / "cache")}).path == exe
    with pytest.raises(ProviderNotFound, match="run terraform init in the workspace"):
        _find(None, env)


def test_source_spellings(workspace: Path, env: dict[str, str]) -> None:
    """Short and legacy (-/aws) sources find hashicorp/aws; nonsense is a ValueError."""
    exe = _install(workspace / ".terraform" / "providers", "5.0.0")
    for source in ("hashicorp/aws", "aws", "registry.terraform.io/-/aws", "Registry.Terraform.io/HashiCorp/AWS"):
        found = find_provider_binary(source, workspace, env=env, platform=PLATFORM)
        assert (found.source, found.path) == (AWS, exe)
    with pytest.raises(ValueError, match="not a provider source"):
        find_provider_binary("a/b/c/d", workspace, env=env)


def test_locked_version(workspace: Path) -> None:
    """The lock file's version for the provider asked about; None when absent or unusable."""
    assert locked_version(workspace, AWS) is None
    _lock(workspace, "3.6.0", source="registry.terraform.io/hashicorp/random")
    assert locked_version(workspace, AWS) is None
    with (workspace / ".terraform.lock.hcl").open("a") as lock:
        lock.write(f'\nprovider "{AWS}" {{\n  version = "5.100.0"\n}}\n')
    assert locked_version(workspace, AWS) == "5.100.0"
    assert locked_version(workspace, "hashicorp/aws") == "5.100.0"
    assert locked_version(workspace, "hashicorp/random") == "3.6.0"
    (workspace / ".terraform.lock.hcl").write_text('provider "registry.terraform.io/hashicorp/aws" {\n  version = ')
    assert locked_version(workspace, AWS) is None


def test_env_defaults_to_the_process_environment(workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without `env`, TF_PLUGIN_CACHE_DIR and friends come from os.environ."""
    exe = _install(tmp_path / "cache", "5.0.0")
    monkeypatch.setenv("TF_PLUGIN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(tmp_path / "none"))
    assert find_provider_binary(AWS, workspace, platform=PLATFORM).path == exe


def test_terraform_platform_naming() -> None:
    """Go's <os>_<arch> names, as in provider package directories."""
    os_name, _, arch = terraform_platform().partition("_")
    assert os_name in ("linux", "darwin", "windows", "freebsd", "openbsd", "netbsd", "solaris")
    assert arch and arch not in ("x86_64", "aarch64")


def test_finds_the_real_mirror_through_a_cli_config(workspace: Path, env: dict[str, str], tmp_path: Path) -> None:
    """This machine's filesystem mirror, configured the documented way, yields a real AWS provider."""
    script = SHARED / "terraform" / "terraformrc.sh"
    if not script.is_file():
        pytest.skip("no terraformrc.sh on this machine")
    proc = subprocess.run(["sh", str(script)], capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        pytest.skip("no terraform provider mirror on this machine")
    config = tmp_path / "terraformrc"
    config.write_text(proc.stdout)
    found = find_provider_binary("hashicorp/aws", workspace, env={**env, "TF_CLI_CONFIG_FILE": str(config)})
    assert found.found_in.startswith("filesystem mirror ")
    assert found.path.name.startswith(f"terraform-provider-aws_v{found.version}")
    assert found.path.parent.name == terraform_platform()
    assert os.access(found.path, os.X_OK)
