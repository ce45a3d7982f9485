"""Terraform state (format version 4): from a local file, every `*.tfstate` under a folder, or an S3 backend.

State is untrusted input: every structural surprise becomes an `InputError` naming the file (and
line, for JSON syntax errors); nothing here prints attribute values.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from driftdeck.core.errors import InputError
from driftdeck.core.inputs.provider_address import is_aws_provider, parse_provider_address
from driftdeck.core.model import DesiredResource, SourceInfo, SourceRef

SUPPORTED_VERSION = 4
# Folders that never hold the workspace's own state (provider caches, VCS, our own data).
_SKIP_DIRS = frozenset({".terraform", ".git", ".driftdeck", "node_modules", ".venv", "__pycache__"})


@dataclass
class StateFile:
    """One state snapshot and the managed resource instances it records."""

    origin: str  # path or s3:// URL
    serial: int | None
    lineage: str | None
    terraform_version: str | None
    written_at: str | None
    resources: list[DesiredResource] = field(default_factory=list)
    # Managed resources of other providers (random, null, tls...): out of driftdeck's scope.
    other_provider_count: int = 0
    # The parsed document (for evaluating code against it: data sources, other providers).
    document: dict[str, Any] = field(default_factory=dict, repr=False)
    # The Terraform configuration this state belongs to, when known (the state's or backend's folder).
    config_dir: str | None = None
    # Where `written_at` comes from, said with the attribution window it starts.
    written_from: str = "the state's own record"

    def source_info(self) -> SourceInfo:
        return SourceInfo(
            kind="terraform",
            path=self.origin,
            state=self.origin,
            serial=self.serial,
            lineage=self.lineage,
            written_at=self.written_at,
        )


@dataclass(frozen=True)
class S3Backend:
    """A `terraform { backend "s3" { ... } }` block."""

    bucket: str
    key: str
    region: str | None
    endpoint: str | None
    declared_in: str
    use_path_style: bool = False

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def parse_state(data: bytes | str, origin: str, *, written_at: str | None = None) -> StateFile:
    """Parse state JSON (version 4) into desired resources; raise InputError naming `origin`."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"state is not UTF-8 text (byte {exc.start})", file=origin) from None
    if not data.strip():
        raise InputError("state file is empty", file=origin)
    try:
        doc = json.loads(data)
    except json.JSONDecodeError as exc:
        raise InputError(f"state is not valid JSON ({exc.msg}, column {exc.colno}); truncated or corrupted?", file=origin, line=exc.lineno) from None
    except RecursionError:
        raise InputError("state JSON is nested too deeply to read", file=origin) from None
    if not isinstance(doc, dict):
        raise InputError("state must be a JSON object", file=origin)
    version = doc.get("version")
    if version != SUPPORTED_VERSION:
        if version == 3 or "modules" in doc and version is None:
            raise InputError(
                "state format version 3 (Terraform 0.11 or older) is not supported; "
                "driftdeck reads version 4 (Terraform 0.12+): run `terraform init` and `terraform apply` with a newer Terraform to upgrade it",
                file=origin,
            )
        raise InputError(f"unsupported state format version {version!r}; driftdeck reads version 4", file=origin)
    _check_terraform_version(doc.get("terraform_version"), origin)
    resources_doc = doc.get("resources", [])
    if not isinstance(resources_doc, list):
        raise InputError("`resources` must be a list", file=origin)
    state = StateFile(
        origin=origin,
        serial=doc.get("serial") if isinstance(doc.get("serial"), int) else None,
        lineage=doc.get("lineage") if isinstance(doc.get("lineage"), str) else None,
        terraform_version=doc.get("terraform_version") if isinstance(doc.get("terraform_version"), str) else None,
        written_at=written_at,
        document=doc,
    )
    for n, res in enumerate(resources_doc):
        if not isinstance(res, dict):
            raise InputError(f"resources[{n}] is not an object", file=origin)
        if res.get("mode", "managed") != "managed":
            continue  # data sources describe what was read, not what is managed
        rtype, name = res.get("type"), res.get("name")
        if not isinstance(rtype, str) or not isinstance(name, str):
            raise InputError(f"resources[{n}] has no type/name", file=origin)
        provider = res.get("provider", "")
        provider = provider if isinstance(provider, str) else ""
        instances = res.get("instances", [])
        if not isinstance(instances, list):
            raise InputError(f"resources[{n}] ({rtype}.{name}): `instances` must be a list", file=origin)
        if not _is_aws_provider(provider, rtype):
            state.other_provider_count += len(instances)
            continue
        module = res.get("module", "") or ""
        for inst in instances:
            if not isinstance(inst, dict):
                raise InputError(f"resources[{n}] ({rtype}.{name}): instance is not an object", file=origin)
            resource = _instance(origin, module, rtype, name, inst, n)
            resource.provider = provider or None
            state.resources.append(resource)
    return state


def _check_terraform_version(value: Any, origin: str) -> None:
    """Format 4 is written by Terraform 0.12 and later; anything else means a damaged or forged file."""
    if value is None:
        return
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)(?:[-+].*)?", str(value))
    if match is None:
        raise InputError(f"terraform_version {str(value)[:40]!r} is not a Terraform version", file=origin)
    major, minor = int(match[1]), int(match[2])
    if (major, minor) < (0, 12):
        raise InputError(
            f"state claims format 4 but was written by Terraform {value}, which only wrote format 3", file=origin
        )


def _is_aws_provider(provider: str, rtype: str) -> bool:
    """Every provider-address form Terraform has written (`provider["…/hashicorp/aws"].alias`,
    0.12's `provider.aws`, module-prefixed forms); no provider string: judged by the type name."""
    if not provider:
        return rtype.startswith("aws_")
    address = parse_provider_address(provider)
    return address is not None and is_aws_provider(address)


def _instance(origin: str, module: str, rtype: str, name: str, inst: dict[str, Any], n: int) -> DesiredResource:
    key = inst.get("index_key")
    base = f"{module}.{rtype}.{name}" if module else f"{rtype}.{name}"
    if key is None:
        address = base
    elif isinstance(key, bool) or not isinstance(key, (int, str)):
        raise InputError(f"resources[{n}] ({base}): index_key must be a number or a string", file=origin)
    elif isinstance(key, int):
        address = f"{base}[{key}]"
    else:
        address = f"{base}[{json.dumps(key)}]"
    attrs = inst.get("attributes")
    if attrs is None and isinstance(inst.get("attributes_flat"), dict):
        attrs = dict(inst["attributes_flat"])
    if not isinstance(attrs, dict):
        raise InputError(f"{address}: instance has no attributes object", file=origin)
    rid = attrs.get("id")
    version = inst.get("schema_version", 0)
    private = inst.get("private")
    return DesiredResource(
        address=address,
        type=rtype,
        id=str(rid) if rid is not None else "",
        attributes=attrs,
        source=SourceRef(kind="terraform", module=module, state=origin),
        sensitive_paths=frozenset(_sensitive_paths(inst.get("sensitive_attributes"))),
        schema_version=version if isinstance(version, int) and not isinstance(version, bool) else 0,
        private=private if isinstance(private, str) else None,
    )


def _sensitive_paths(value: Any) -> Iterator[str]:
    """`sensitive_attributes` is a list of paths, each a list of get_attr/index steps."""
    if not isinstance(value, list):
        return
    for steps in value:
        if not isinstance(steps, list):
            continue
        path = ""
        for step in steps:
            if not isinstance(step, dict):
                break
            val = step.get("value")
            if step.get("type") == "get_attr":
                path = f"{path}.{val}" if path else str(val)
            elif step.get("type") == "index":
                inner = val.get("value") if isinstance(val, dict) else val
                path = f"{path}[{inner}]" if isinstance(inner, int) else f"{path}.{inner}"
        if path:
            yield path


def redact(attributes: dict[str, Any], sensitive_paths: Iterable[str]) -> dict[str, Any]:
    """A copy of `attributes` with every sensitive top-level attribute replaced by a marker."""
    tops = {p.split(".")[0].split("[")[0] for p in sensitive_paths}
    if not tops:
        return attributes
    return {k: ("(sensitive)" if k in tops else v) for k, v in attributes.items()}


def read_state_file(path: Path) -> StateFile:
    try:
        data = path.read_bytes()
        mtime = path.stat().st_mtime
    except OSError as exc:
        raise InputError(f"cannot read state: {exc.strerror}", file=str(path)) from None
    written = datetime.fromtimestamp(mtime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    state = parse_state(data, str(path), written_at=written)
    state.config_dir = str(path.parent)
    state.written_from = "the state file's modification time (a copy or fresh checkout resets it)"
    return state


def find_state_files(root: Path) -> list[Path]:
    """`root` itself when it is a file, else every `*.tfstate` below it (skipping caches)."""
    if root.is_file():
        return [root]
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        found.extend(Path(dirpath) / f for f in sorted(filenames) if f.endswith(".tfstate"))
    return found


def find_s3_backends(root: Path) -> list[S3Backend]:
    """S3 backends declared in `.tf` files under `root`.

    Read by the evaluator's own parser, so a malformed file fails here with the same
    `file:line: invalid HCL syntax: ...` the evaluator gives for it.
    """
    # deferred: the HCL reader (Lark grammar) adds ~0.4x a scan's start-up to every importer of this
    # module; only a search for backends needs it (bench/import_time.py)
    from driftdeck.core.inputs.hcl.literals import body_values  # deferred: HCL parser (bench/import_time.py)
    from driftdeck.core.inputs.hcl.parse import parse_hcl  # deferred: HCL parser (bench/import_time.py)

    if root.is_file():
        return []
    backends: list[S3Backend] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        for fname in sorted(filenames):
            if not fname.endswith(".tf"):
                continue
            path = Path(dirpath) / fname
            text = path.read_text(encoding="utf-8", errors="replace")
            if "backend" not in text:
                continue
            for terraform in parse_hcl(text, str(path)).body.blocks_of("terraform"):
                for backend in terraform.body.blocks_of("backend"):
                    if backend.labels == ("s3",):
                        backends.append(_s3_backend(body_values(backend.body), str(path), backend.line))
    return backends


def _s3_backend(body: dict[str, Any], declared_in: str, line: int | None = None) -> S3Backend:
    """The backend from its block's plain values (`literals.body_values`: a reference, call or
    interpolation is an `Expression`, which Terraform refuses in a backend block too)."""
    bucket, key = body.get("bucket"), body.get("key")
    if not isinstance(bucket, str) or not isinstance(key, str):
        raise InputError("backend \"s3\" needs literal `bucket` and `key` values", file=declared_in, line=line)
    endpoint = body.get("endpoint")
    endpoints = body.get("endpoints")
    if isinstance(endpoints, dict) and endpoints.get("s3"):
        endpoint = endpoints["s3"]
    region = body.get("region")
    path_style = body.get("use_path_style", body.get("force_path_style", False))
    return S3Backend(
        bucket=bucket,
        key=key,
        region=region if isinstance(region, str) else None,
        endpoint=endpoint if isinstance(endpoint, str) else None,
        declared_in=declared_in,
        use_path_style=path_style is True or path_style == "true",
    )


def read_s3_state(backend: S3Backend, session: Any) -> StateFile:
    """Fetch state from an S3 backend; any failure names the bucket and key."""
    import botocore.config
    import botocore.exceptions

    config = botocore.config.Config(
        retries={"mode": "adaptive", "max_attempts": 5},
        s3={"addressing_style": "path"} if backend.use_path_style else None,
    )
    kwargs: dict[str, Any] = {"config": config}
    if backend.region:
        kwargs["region_name"] = backend.region
    if backend.endpoint:
        kwargs["endpoint_url"] = backend.endpoint
    try:
        client = session.client("s3", **kwargs)
        obj = client.get_object(Bucket=backend.bucket, Key=backend.key)
        body = obj["Body"].read()
    except botocore.exceptions.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "error")
        raise InputError(
            f"cannot read S3 backend state {backend.url} ({code}), declared here", file=backend.declared_in
        ) from None
    except botocore.exceptions.BotoCoreError as exc:
        raise InputError(
            f"cannot read S3 backend state {backend.url} ({type(exc).__name__}), declared here",
            file=backend.declared_in,
        ) from None
    modified = obj.get("LastModified")
    written = modified.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(modified, datetime) else None
    state = parse_state(body, backend.url, written_at=written)
    state.config_dir = str(Path(backend.declared_in).parent)
    state.written_from = "the S3 backend object's last-modified time"
    return state
