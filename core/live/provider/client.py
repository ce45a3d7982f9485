"""The provider's RPCs as plain Python calls: metadata, schema (cached), configure, upgrade, read.

Every error diagnostic a provider returns becomes a `ProviderDiagnostic` exception carrying its
summary (secrets scrubbed); a provider that died or stopped answering becomes `ProviderCrashed`.
Neither is ever turned into "in sync" or "missing" by the callers.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import grpc

from driftdeck.core.cty import encode
from driftdeck.core.live.provider import tfplugin5_pb2 as pb
from driftdeck.core.live.provider.process import ProviderProcess, scrub
from driftdeck.core.live.provider.schema import (
    ProviderSchema,
    binary_digest,
    load_cached_schema,
    schema_from_response,
    store_schema,
)
from driftdeck.core.text import printable

_ERROR = 1
_WARNING = 2
_NULL = b"\xc0"  # msgpack nil: a null provider_meta

# Terraform names its own version to the provider; drift reads behave alike across 1.x.
TERRAFORM_VERSION = "1.11.4"

Req = TypeVar("Req")
Resp = TypeVar("Resp")


class ProviderError(Exception):
    """Anything that stops a provider call (str() is one secret-free line)."""


class ProviderCrashed(ProviderError):
    """The provider process ended or stopped answering."""


class ProviderDiagnostic(ProviderError):
    """The provider answered with an error diagnostic."""

    def __init__(self, summary: str, detail: str = "", attribute: str | None = None) -> None:
        self.summary = printable(scrub(summary.strip()))
        self.detail = scrub(detail.strip())  # may span lines; made printable where shown
        self.attribute = attribute
        super().__init__(self.summary + (f": {self.detail}" if self.detail else ""))


@dataclass(frozen=True)
class ReadAnswer:
    """What ReadResource said: `state` None means the object no longer exists."""

    state: bytes | None
    private: bytes
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlanAnswer:
    """PlanResourceChange's answer: planned state (msgpack) and the requires_replace paths,
    each a tuple of steps ("attr", name) / ("key", map key) / ("index", list position)."""

    planned: bytes
    requires_replace: tuple[tuple[tuple[str, str | int], ...], ...]
    private: bytes
    warnings: tuple[str, ...] = ()
    legacy_type_system: bool = False


def _step(step: pb.AttributePath.Step) -> tuple[str, str | int]:
    # ("attr", name) | ("key", map key or set element) | ("index", list position)
    which = step.WhichOneof("selector")
    if which == "element_key_int":
        return ("index", int(step.element_key_int))
    if which == "element_key_string":
        return ("key", step.element_key_string)
    return ("attr", step.attribute_name)


def _attribute_path(path: pb.AttributePath) -> str | None:
    out = ""
    for step in path.steps:
        which = step.WhichOneof("selector")
        if which == "attribute_name":
            out = f"{out}.{step.attribute_name}" if out else step.attribute_name
        elif which == "element_key_string":
            out = f"{out}.{step.element_key_string}"
        elif which == "element_key_int":
            out = f"{out}[{step.element_key_int}]"
    return out or None


def check_diagnostics(diagnostics: Any) -> tuple[str, ...]:
    """Raise the first error diagnostic; return the warnings' summaries."""
    warnings: list[str] = []
    for diag in diagnostics:
        if diag.severity == _ERROR:
            raise ProviderDiagnostic(diag.summary, diag.detail, _attribute_path(diag.attribute))
        if diag.severity == _WARNING:
            warnings.append(scrub(diag.summary))
    return tuple(warnings)


class ProviderClient:
    """One started provider process and the calls driftdeck makes to it. Thread-safe: gRPC
    channels multiplex concurrent calls, and the provider serves them concurrently."""

    def __init__(self, process: ProviderProcess, *, cache_dir: Path | None = None) -> None:
        self.process = process
        self.cache_dir = cache_dir
        self._schema: ProviderSchema | None = None
        self._schema_lock = threading.Lock()
        self.schema_from_cache: bool | None = None

    def _call(self, method: str, request: Any, response_type: Any, timeout: float | None) -> Any:
        channel = self.process.channel
        if channel is None or not self.process.alive():
            raise ProviderCrashed(self._crash_reason())
        stub = channel.unary_unary(
            f"/tfplugin5.Provider/{method}",
            request_serializer=type(request).SerializeToString,
            response_deserializer=response_type.FromString,
        )
        try:
            return stub(request, timeout=timeout)
        except grpc.RpcError as exc:
            code = exc.code() if hasattr(exc, "code") else None
            if code == grpc.StatusCode.DEADLINE_EXCEEDED:
                raise ProviderError(f"provider did not answer {method} within {timeout:.0f} s") from None
            if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED) or not self.process.alive():
                raise ProviderCrashed(self._crash_reason()) from None
            details = exc.details() if hasattr(exc, "details") else str(exc)
            raise ProviderError(f"provider error in {method}: {scrub(str(details))[:300]}") from None

    def _crash_reason(self) -> str:
        code = self.process.exit_code()
        last = self.process.last_output()
        state = f"exited with code {code}" if code is not None else "stopped answering"
        return f"provider crashed ({state})" + (f": {last}" if last else "")

    # --- the RPCs -----------------------------------------------------------------------------

    # GetMetadata is deliberately never called: terraform-plugin-mux (inside the AWS provider)
    # then fails every later call with "Duplicate data source type" unless GetSchema follows,
    # which would defeat the schema cache. The schema lists the resource types too.

    @property
    def schema(self) -> ProviderSchema:
        """The provider's schema: from the disk cache when this binary's is there, else GetSchema."""
        with self._schema_lock:
            if self._schema is None:
                self._schema = self._load_schema()
            return self._schema

    def _load_schema(self) -> ProviderSchema:
        digest = None
        if self.cache_dir is not None:
            try:
                digest = binary_digest(self.process.executable, self.cache_dir)
            except OSError:
                digest = None
            cached = load_cached_schema(self.cache_dir, digest) if digest else None
            if cached is not None:
                self.schema_from_cache = True
                return schema_from_response(cached)
        response = self._call("GetSchema", pb.GetProviderSchema.Request(), pb.GetProviderSchema.Response, 300)
        check_diagnostics(response.diagnostics)
        self.schema_from_cache = False
        if self.cache_dir is not None and digest:
            try:
                store_schema(self.cache_dir, digest, response)
            except OSError:
                pass  # a read-only or full cache dir costs speed next time, nothing else
        return schema_from_response(response)

    def configure(self, config: Mapping[str, Any]) -> tuple[str, ...]:
        """Configure with `config` (every provider attribute present, None where unset)."""
        provider_type = self.schema.provider.block.implied_type()
        request = pb.Configure.Request(
            terraform_version=TERRAFORM_VERSION,
            config=pb.DynamicValue(msgpack=encode(dict(config), provider_type)),
            client_capabilities=pb.ClientCapabilities(deferral_allowed=False),
        )
        response = self._call("Configure", request, pb.Configure.Response, 300)
        return check_diagnostics(response.diagnostics)

    def upgrade_state(self, resource_type: str, version: int, attributes_json: bytes) -> bytes:
        """The state object upgraded to the provider's current schema (msgpack)."""
        request = pb.UpgradeResourceState.Request(
            type_name=resource_type, version=version, raw_state=pb.RawState(json=attributes_json)
        )
        response = self._call("UpgradeResourceState", request, pb.UpgradeResourceState.Response, 120)
        check_diagnostics(response.diagnostics)
        return bytes(response.upgraded_state.msgpack)

    def read_resource(self, resource_type: str, current_state: bytes, private: bytes = b"",
                      timeout: float = 600) -> ReadAnswer:
        """ReadResource: the object as the cloud holds it now (state None: it is gone)."""
        request = pb.ReadResource.Request(
            type_name=resource_type,
            current_state=pb.DynamicValue(msgpack=current_state),
            private=private,
            provider_meta=pb.DynamicValue(msgpack=_NULL),
            client_capabilities=pb.ClientCapabilities(deferral_allowed=False),
        )
        response = self._call("ReadResource", request, pb.ReadResource.Response, timeout)
        warnings = check_diagnostics(response.diagnostics)
        new_state = bytes(response.new_state.msgpack) if response.HasField("new_state") else b""
        if not new_state and response.new_state.json:
            raise ProviderError("provider answered ReadResource in JSON, which driftdeck does not decode")
        return ReadAnswer(state=None if new_state in (b"", _NULL) else new_state,
                          private=bytes(response.private), warnings=warnings)

    def validate_resource_config(self, resource_type: str, config: bytes, timeout: float = 120) -> list[ProviderDiagnostic]:
        """ValidateResourceTypeConfig: the provider's own checks of a configuration (ranges,
        allowed values, conflicting arguments) that `terraform plan` runs before planning. Returns
        the error diagnostics (empty: valid), each naming its attribute where the provider does."""
        request = pb.ValidateResourceTypeConfig.Request(
            type_name=resource_type, config=pb.DynamicValue(msgpack=config),
            client_capabilities=pb.ClientCapabilities(deferral_allowed=False),
        )
        response = self._call("ValidateResourceTypeConfig", request, pb.ValidateResourceTypeConfig.Response, timeout)
        return [ProviderDiagnostic(d.summary, d.detail, _attribute_path(d.attribute))
                for d in response.diagnostics if d.severity == _ERROR]

    def plan_resource_change(self, resource_type: str, prior_state: bytes, proposed_new_state: bytes,
                             config: bytes, prior_private: bytes = b"", timeout: float = 300) -> PlanAnswer:
        """PlanResourceChange: the state applying `config` would leave (unknowns where only the
        apply can tell) and the attribute paths whose change forces a replacement."""
        request = pb.PlanResourceChange.Request(
            type_name=resource_type,
            prior_state=pb.DynamicValue(msgpack=prior_state),
            proposed_new_state=pb.DynamicValue(msgpack=proposed_new_state),
            config=pb.DynamicValue(msgpack=config),
            prior_private=prior_private,
            provider_meta=pb.DynamicValue(msgpack=_NULL),
            client_capabilities=pb.ClientCapabilities(deferral_allowed=False),
        )
        response = self._call("PlanResourceChange", request, pb.PlanResourceChange.Response, timeout)
        warnings = check_diagnostics(response.diagnostics)
        planned = bytes(response.planned_state.msgpack)
        if not planned and response.planned_state.json:
            raise ProviderError("provider answered PlanResourceChange in JSON, which driftdeck does not decode")
        replace = tuple(tuple(_step(s) for s in path.steps) for path in response.requires_replace)
        return PlanAnswer(planned=planned or _NULL, requires_replace=replace,
                          private=bytes(response.planned_private), warnings=warnings,
                          legacy_type_system=bool(response.legacy_type_system))

    def import_resource(self, resource_type: str, resource_id: str,
                        timeout: float = 600) -> list[tuple[str, bytes, bytes]]:
        """ImportResourceState: (type, state msgpack, private) per object the id stands for — what
        `terraform import` starts from; a ReadResource afterwards fills in the attributes."""
        request = pb.ImportResourceState.Request(
            type_name=resource_type, id=resource_id, client_capabilities=pb.ClientCapabilities(deferral_allowed=False)
        )
        response = self._call("ImportResourceState", request, pb.ImportResourceState.Response, timeout)
        check_diagnostics(response.diagnostics)
        return [(r.type_name, bytes(r.state.msgpack), bytes(r.private)) for r in response.imported_resources]

    def stop(self) -> None:
        """Ask the provider to cancel in-flight calls (Terraform's Stop), then end the process."""
        try:
            self._call("Stop", pb.Stop.Request(), pb.Stop.Response, 5)
        except ProviderError:
            pass
        self.process.shutdown()
