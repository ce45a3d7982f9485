"""Find the provider plugin executable a Terraform workspace would run.

Talking to a provider directly (for schemas, or to read live resources the way Terraform does)
needs its executable, and we never download one: it must already be on disk. Terraform leaves
providers in several places, so we look where Terraform itself would install them from or has
installed them to, in this order:

1. directories the operator named (`--provider-dir`), which win over everything;
2. `<workspace>/.terraform/providers`, what `terraform init` installed (entries may be symlinks
   into a plugin cache);
3. the plugin cache: `TF_PLUGIN_CACHE_DIR`, then `plugin_cache_dir` in the CLI config;
4. every `provider_installation { filesystem_mirror { ... } }` in the CLI config, honouring its
   `include` / `exclude` patterns;
5. Terraform's implied local mirrors (`terraform.d/plugins` in the workspace, ~/.terraform.d/plugins
   and the XDG data directories).

Only unpacked layouts count (`<host>/<namespace>/<type>/<version>/<os>_<arch>/terraform-provider-*`);
packed mirrors hold zip archives we would have to extract. When the workspace has a
`.terraform.lock.hcl`, only the version it locks qualifies, because that is the only version
Terraform would agree to run; otherwise the first location holding the provider wins, with its
highest version.

Nothing here prints, and a missing or malformed CLI config or lock file is treated as absent: the
search must still work on a machine whose Terraform setup is half broken. Both are read by the
evaluator's HCL parser (`inputs.hcl.parse`), so "malformed" means what it means for a scan.
"""

from __future__ import annotations

import json
import os
import re
import stat
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from platform import machine
from typing import Any

from driftdeck.core.inputs.provider_address import (
    DEFAULT_HOSTNAME,
    DEFAULT_NAMESPACE,
    LEGACY_NAMESPACE,
    ProviderAddress,
    parse_provider_source,
)

LOCK_FILE = ".terraform.lock.hcl"
_EXECUTABLE_PREFIX = "terraform-provider-"
# Terraform's release version syntax: semantic versions, no leading "v".
_VERSION = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z.-]+)?")
_ENV_REFERENCE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")
# Go's names for operating systems and architectures, which Terraform uses in `<os>_<arch>`.
_GO_OS = (("linux", "linux"), ("darwin", "darwin"), ("win32", "windows"), ("cygwin", "windows"),
          ("freebsd", "freebsd"), ("openbsd", "openbsd"), ("netbsd", "netbsd"), ("sunos", "solaris"))
_GO_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "i386": "386",
            "i686": "386", "x86": "386", "armv6l": "arm", "armv7l": "arm", "arm": "arm"}

_VersionKey = tuple[int, int, int, tuple[int, tuple[tuple[int, int, str], ...]]]


@dataclass(frozen=True)
class ProviderBinary:
    """A provider executable found on disk, and where it was found (for messages and `--verbose`)."""

    source: str
    version: str
    path: Path
    found_in: str


class ProviderNotFound(Exception):
    """No qualifying executable anywhere Terraform would look; `str()` is one line saying what to do."""

    def __init__(self, provider: ProviderAddress, workspace: Path | None, version: str | None,
                 platform: str, searched: Sequence[Path]) -> None:
        self.source = provider.source
        self.workspace = workspace
        self.version = version
        self.platform = platform
        self.searched = tuple(searched)
        wanted = f" {version} (locked in {LOCK_FILE})" if version else ""
        where = str(workspace) if workspace is not None else "the workspace"
        super().__init__(
            f"provider {provider.display}{wanted} for {platform} not found: run terraform init in {where}, "
            "or set TF_PLUGIN_CACHE_DIR, a filesystem_mirror in the Terraform CLI config, or --provider-dir"
        )


@dataclass(frozen=True)
class _Location:
    root: Path
    found_in: str
    # Operator-named directories may also be a plain folder of `terraform-provider-<type>_v*` files.
    flat_ok: bool = False
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def admits(self, provider: ProviderAddress) -> bool:
        if self.include and not any(_pattern_matches(p, provider) for p in self.include):
            return False
        return not any(_pattern_matches(p, provider) for p in self.exclude)


@dataclass(frozen=True)
class _Candidate:
    key: _VersionKey
    version: str
    path: Path


def find_provider_binary(
    source: str,
    workspace: Path | None,
    *,
    explicit_dirs: Sequence[Path] = (),
    env: Mapping[str, str] | None = None,
    platform: str | None = None,
) -> ProviderBinary:
    """The executable for `source` (e.g. `hashicorp/aws`) that `workspace` would use.

    Raises ProviderNotFound when no location has a qualifying version, and ValueError when
    `source` is not a provider source address.
    """
    provider = parse_provider_source(source)
    if provider is None:
        raise ValueError(f"not a provider source address: {source!r}")
    if provider.namespace == LEGACY_NAMESPACE:
        # The public registry maps legacy (0.12-era) names to hashicorp/<type>, and that is the
        # name Terraform installs them under.
        provider = ProviderAddress(provider.hostname, DEFAULT_NAMESPACE, provider.type)
    env = os.environ if env is None else env
    platform = platform or terraform_platform()
    workspace = Path(workspace) if workspace is not None else None
    wanted = locked_version(workspace, provider.source) if workspace is not None else None
    wanted_key = _version_key(wanted) if wanted else None

    searched: list[Path] = []
    for location in _locations(workspace, explicit_dirs, env):
        if location.root in searched or not location.admits(provider):
            continue
        searched.append(location.root)
        candidates = [c for c in _candidates(location, provider, platform) if wanted_key is None or c.key == wanted_key]
        if candidates:
            best = max(candidates, key=lambda c: c.key)
            return ProviderBinary(provider.source, best.version, best.path, location.found_in)
    raise ProviderNotFound(provider, workspace, wanted, platform, searched)


def locked_version(workspace: Path, source: str) -> str | None:
    """The version of `source` that `<workspace>/.terraform.lock.hcl` locks, or None.

    None also when the lock file is missing, unreadable, malformed or names no valid version.
    """
    provider = parse_provider_source(source)
    doc = _load_hcl(Path(workspace) / LOCK_FILE)
    if provider is None or doc is None:
        return None
    for block in _blocks(doc.get("provider")):
        for label, body in block.items():
            locked = parse_provider_source(_string(label) or "")
            if locked is None or locked.source != provider.source or not isinstance(body, dict):
                continue
            version = _string(body.get("version"))
            return version if version and _version_key(version) else None
    return None


def terraform_platform() -> str:
    """This machine in Terraform's `<os>_<arch>` naming, e.g. `linux_amd64` or `darwin_arm64`."""
    os_name = next((go for prefix, go in _GO_OS if sys.platform.startswith(prefix)), sys.platform)
    arch = machine().lower()
    return f"{os_name}_{_GO_ARCH.get(arch, arch)}"


def _locations(workspace: Path | None, explicit_dirs: Sequence[Path], env: Mapping[str, str]) -> Iterator[_Location]:
    # Generated lazily: once a location qualifies, the CLI config need not even be read.
    home = _home(env)
    for directory in explicit_dirs:
        yield _Location(Path(directory), f"--provider-dir {directory}", flat_ok=True)
    if workspace is not None:
        yield _Location(workspace / ".terraform" / "providers", ".terraform/providers")
    cache_dir = env.get("TF_PLUGIN_CACHE_DIR")
    if cache_dir:
        yield _Location(_config_path(cache_dir, {}, home, workspace), "plugin cache (TF_PLUGIN_CACHE_DIR)")
    for config_file in _cli_config_files(env, home):
        doc = _load_hcl(config_file, json_allowed=True)
        if doc is None:
            continue
        configured_cache = _string(doc.get("plugin_cache_dir"))
        if configured_cache:
            yield _Location(_config_path(configured_cache, env, home, workspace),
                            f"plugin cache (plugin_cache_dir in {config_file})")
        for installation in _blocks(doc.get("provider_installation")):
            for mirror in _blocks(installation.get("filesystem_mirror")):
                mirror_path = _string(mirror.get("path"))
                if mirror_path:
                    yield _Location(_config_path(mirror_path, {}, home, workspace), f"filesystem mirror {mirror_path}",
                                    include=_strings(mirror.get("include")), exclude=_strings(mirror.get("exclude")))
    for implied in _implied_mirror_dirs(workspace, env, home):
        yield _Location(implied, f"implied local mirror {implied}")


def _implied_mirror_dirs(workspace: Path | None, env: Mapping[str, str], home: Path | None) -> list[Path]:
    """Terraform's local directories searched without any configuration (XDG layout on Unix)."""
    dirs: list[Path] = []
    if workspace is not None:
        dirs.append(workspace / "terraform.d" / "plugins")
    if home is not None:
        dirs.append(home / ".terraform.d" / "plugins")
    # The XDG base directory spec says relative values are to be ignored.
    data_home = env.get("XDG_DATA_HOME", "")
    if os.path.isabs(data_home):
        dirs.append(Path(data_home) / "terraform" / "plugins")
    elif home is not None:
        dirs.append(home / ".local" / "share" / "terraform" / "plugins")
    data_dirs = [d for d in env.get("XDG_DATA_DIRS", "").split(os.pathsep) if os.path.isabs(d)]
    for data_dir in data_dirs or ["/usr/local/share", "/usr/share"]:
        dirs.append(Path(data_dir) / "terraform" / "plugins")
    return dirs


def _candidates(location: _Location, provider: ProviderAddress, platform: str) -> Iterator[_Candidate]:
    type_dir = location.root / provider.hostname / provider.namespace / provider.type
    for version_dir in _children(type_dir):
        key = _version_key(version_dir.name)
        if key is None:
            continue
        for executable in sorted(_children(version_dir / platform)):
            if _is_provider_executable(executable.name, provider.type) and _is_executable_file(executable):
                yield _Candidate(key, version_dir.name, executable)
                break
    if location.flat_ok:
        flat_name = re.compile(rf"{_EXECUTABLE_PREFIX}{re.escape(provider.type)}_v([^_]+)(?:_x\d+)?(?:\.exe)?")
        for executable in _children(location.root):
            match = flat_name.fullmatch(executable.name)
            key = _version_key(match[1]) if match else None
            if match and key is not None and _is_executable_file(executable):
                yield _Candidate(key, match[1], executable)


def _is_provider_executable(name: str, type_name: str) -> bool:
    stem = name.removesuffix(".exe")
    return stem == f"{_EXECUTABLE_PREFIX}{type_name}" or stem.startswith(f"{_EXECUTABLE_PREFIX}{type_name}_")


def _is_executable_file(path: Path) -> bool:
    try:
        mode = path.stat().st_mode  # follows symlinks: a link into a plugin cache is fine
    except OSError:
        return False
    return stat.S_ISREG(mode) and os.access(path, os.X_OK)


def _children(directory: Path) -> list[Path]:
    try:
        return list(directory.iterdir())
    except OSError:  # missing, not a directory, or unreadable: nothing here
        return []


def _version_key(text: str) -> _VersionKey | None:
    """Semantic-version ordering: numeric parts, then prereleases below the release."""
    match = _VERSION.fullmatch(text)
    if match is None:
        return None
    major, minor, patch, prerelease = int(match[1]), int(match[2]), int(match[3]), match[4]
    if prerelease is None:
        return (major, minor, patch, (1, ()))
    # Numeric identifiers compare as numbers and sort below alphanumeric ones (semver rule 11).
    identifiers = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in prerelease.split("."))
    return (major, minor, patch, (0, identifiers))


def _pattern_matches(pattern: str, provider: ProviderAddress) -> bool:
    """A provider_installation include/exclude pattern: `[host/]namespace/type`, `*` per part."""
    parts = pattern.split("/")
    if len(parts) == 2:
        parts.insert(0, DEFAULT_HOSTNAME)
    if len(parts) != 3:
        return False  # Terraform rejects such a pattern; here it simply matches nothing
    actual = (provider.hostname, provider.namespace, provider.type)
    return all(part == "*" or part.lower() == value for part, value in zip(parts, actual, strict=True))


def _cli_config_files(env: Mapping[str, str], home: Path | None) -> list[Path]:
    """The CLI config files Terraform reads: an explicit override, else ~/.terraformrc and ~/.terraform.d/*.tfrc."""
    override = env.get("TF_CLI_CONFIG_FILE") or env.get("TERRAFORM_CONFIG")
    if override:
        # Terraform skips the default files when the operator points it at one explicitly.
        return [Path(override)]
    if home is None:
        return []
    config_dir = home / ".terraform.d"
    extra = sorted(p for p in _children(config_dir) if p.name.endswith((".tfrc", ".tfrc.json")))
    return [home / ".terraformrc", *extra]


def _load_hcl(path: Path, *, json_allowed: bool = False) -> dict[str, Any] | None:
    """A file's top-level body as plain values (or JSON, which the CLI config may be in); None when
    unusable. HCL goes through the evaluator's parser: attributes as literals (`literals.Expression`
    where not one), blocks as lists of bodies."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if json_allowed and text.lstrip().startswith("{"):
        try:
            doc = json.loads(text)
        except (ValueError, RecursionError):
            return None
        return doc if isinstance(doc, dict) else None
    # deferred: the HCL reader (Lark grammar) only when there is a file to read (bench/import_time.py)
    from driftdeck.core.inputs.hcl.literals import body_values  # deferred: HCL parser (bench/import_time.py)
    from driftdeck.core.inputs.hcl.parse import parse_hcl  # deferred: HCL parser (bench/import_time.py)

    try:
        return body_values(parse_hcl(text, str(path)).body)
    except Exception:  # noqa: BLE001 - InputError (file:line), or anything the grammar trips over: unusable
        return None


def _blocks(value: Any) -> list[dict[str, Any]]:
    # HCL gives a list of bodies per block type; JSON syntax gives a single object.
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return []


def _string(value: Any) -> str | None:
    """A literal string value (neither HCL's plain values nor JSON keep quotes)."""
    return value if isinstance(value, str) else None


def _strings(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    return tuple(s for s in (_string(item) for item in items) if s)


def _home(env: Mapping[str, str]) -> Path | None:
    if env.get("HOME"):
        return Path(env["HOME"])
    try:
        return Path.home()
    except RuntimeError:  # no HOME and no passwd entry: there are no home-based locations
        return None


def _config_path(value: str, env: Mapping[str, str], home: Path | None, workspace: Path | None) -> Path:
    """A directory named in the environment or CLI config, expanded the way Terraform does."""
    # Terraform applies os.ExpandEnv to plugin_cache_dir (unset variables become empty).
    expanded = _ENV_REFERENCE.sub(lambda m: env.get(m[1] or m[2], ""), value) if env else value
    if home is not None and (expanded == "~" or expanded.startswith("~/")):
        expanded = str(home) + expanded[1:]
    path = Path(expanded)
    # Terraform resolves relative paths against the directory it runs in, normally the workspace.
    if not path.is_absolute() and workspace is not None:
        path = workspace / path
    return path
