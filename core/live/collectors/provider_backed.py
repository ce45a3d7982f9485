"""The provider-backed collector: live state of any resource type, read through the workspace's
own Terraform provider exactly as `terraform plan -refresh-only` refreshes it.

Per instance: `UpgradeResourceState` (the state's attributes JSON and schema version) gives the
prior object in the provider's current schema; `ReadResource` with that object and the instance's
private bytes gives the live object (null: it is gone). The verdict compares the two with the
schema's types (`compare_typed`), as Terraform's drift detection does. Every failure is an honest
`unknown` carrying the provider's own summary; never `in_sync`, never `missing`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from driftdeck.core.aws import AwsContext
from driftdeck.core.compare.state_vs_live import compare_typed
from driftdeck.core.cty import CtyError, decode
from driftdeck.core.errors import InputError
from driftdeck.core.inputs.provider_address import ProviderAddress, parse_provider_address
from driftdeck.core.live.collectors.base import Collector, ReadOutcome
from driftdeck.core.live.collectors.fanout import DEFAULT_WORKERS, map_concurrently
from driftdeck.core.live.provider.client import ProviderCrashed, ProviderDiagnostic, ProviderError
from driftdeck.core.live.provider.planning import plan_change
from driftdeck.core.live.provider.session import ConfiguredProvider, ProviderSession, ProviderUnavailable
from driftdeck.core.model import DesiredResource, Difference, LiveResource, PlannedChange, UnknownCause
from driftdeck.core.resource_types.projections import volatile_attributes
from driftdeck.core.unknown import contains_unknown

AWS = ProviderAddress("registry.terraform.io", "hashicorp", "aws")
READER = "provider"

# Attributes whose value changes on every read with nobody touching the object. Terraform reports
# them as drift on every refresh; an operator would learn to ignore the resource, so driftdeck
# does not compare them (`ResourceType.volatile_attributes`).
VOLATILE_ATTRIBUTES: dict[str, frozenset[str]] = volatile_attributes()

# What an AWS error inside a provider diagnostic means, for the `unknown` reason's first words.
_ACCESS_DENIED_MARKS = ("AccessDenied", "UnauthorizedOperation", "AuthorizationError", "StatusCode: 403",
                        "not authorized", "Forbidden")
_THROTTLED_MARKS = ("Throttling", "ThrottlingException", "TooManyRequests", "RequestLimitExceeded", "SlowDown",
                    "Rate exceeded", "StatusCode: 429", "exceeded maximum number of attempts")


class ProviderCollector(Collector):
    """Reads one resource type through the provider (instances are made per type on demand)."""

    checked_attributes: tuple[str, ...] = ()  # every attribute of the schema is compared
    reader_name = READER

    def __init__(self, resource_type: str) -> None:
        self.resource_type = resource_type  # type: ignore[misc]

    def read(self, ctx: AwsContext, region: str, resources: Sequence[DesiredResource]) -> list[ReadOutcome]:
        session = ctx.providers
        if session is None:
            return [ReadOutcome.failed("provider reads are not enabled for this scan") for _ in resources]
        return map_concurrently(
            list(resources), lambda res: self._read_one(ctx, session, region, res),
            max_workers=min(DEFAULT_WORKERS * 2, 32),
        )

    def _read_one(self, ctx: AwsContext, session: ProviderSession, region: str, resource: DesiredResource) -> ReadOutcome:
        try:
            provider = provider_for(ctx, session, resource, region)
        except ProviderUnavailable as exc:
            return ReadOutcome.failed(str(exc), reader=READER,
                                      cause=UnknownCause.PROVIDER_UNUSABLE if exc.configuration else None)
        try:
            return self._refresh(provider, resource, session)
        except ProviderDiagnostic as exc:
            return ReadOutcome.failed(diagnostic_reason(exc), reader=READER, provider=provider.label)
        except (ProviderError, CtyError) as exc:
            return ReadOutcome.failed(str(exc), reader=READER, provider=provider.label)

    def _refresh(self, provider: ConfiguredProvider, resource: DesiredResource, session: ProviderSession) -> ReadOutcome:
        schema = provider.client.schema
        if self.resource_type not in schema.resource_types:
            return ReadOutcome.failed(
                f"{provider.label} has no resource type {self.resource_type}", reader=READER, provider=provider.label
            )
        generation, client = provider.generation, provider.client
        try:
            raw = json.dumps(resource.attributes, separators=(",", ":")).encode()
            prior_wire = provider.upgrade_state(self.resource_type, resource.schema_version, raw)
            answer = client.read_resource(self.resource_type, prior_wire, _private_bytes(resource.private))
        except ProviderCrashed as exc:
            # In flight when it died: unknown. The session restarts it (once) for the reads after.
            session.recover(provider, generation)
            return ReadOutcome.failed(str(exc), reader=READER, provider=provider.label)
        object_type = schema.type_of(self.resource_type)
        sensitive = frozenset(schema.resource(self.resource_type).block.sensitive_paths())
        prior = decode(prior_wire, object_type)
        if answer.state is None:
            return ReadOutcome(prior=prior, reader=READER, provider=provider.label)
        live = decode(answer.state, object_type)
        if "timeouts" in live and "timeouts" in prior:
            live["timeouts"] = prior["timeouts"]  # never stored remotely: Terraform copies it too
        arn = live.get("arn") if isinstance(live.get("arn"), str) else None
        return ReadOutcome(
            live=LiveResource(type=self.resource_type, id=str(live.get("id") or resource.id), attributes=live,
                              region=None, arn=arn),
            prior=prior,
            object_type=object_type,
            sensitive_paths=sensitive,
            reader=READER,
            provider=provider.label,
        )

    def compare(self, resource: DesiredResource, outcome: ReadOutcome, sensitive_paths: frozenset[str]) -> list[Difference]:
        """Terraform's judgement: the upgraded prior object against the refreshed one."""
        assert outcome.live is not None and outcome.prior is not None and outcome.object_type is not None
        volatile = VOLATILE_ATTRIBUTES.get(self.resource_type, frozenset())
        diffs = compare_typed(outcome.prior, outcome.live.attributes, outcome.object_type,
                              sensitive_paths=sensitive_paths | outcome.sensitive_paths)
        return [d for d in diffs if d.path.split(".")[0].split("[")[0] not in volatile]


def _private_bytes(private: str | None) -> bytes:
    if not private:
        return b""
    try:
        return base64.b64decode(private, validate=True)
    except ValueError:
        return b""


def diagnostic_reason(exc: ProviderDiagnostic) -> str:
    """An `unknown` reason from a provider error: what kind of failure first, then its words."""
    text = f"{exc.summary} {exc.detail}"
    said = exc.summary + (f": {_shorten(exc.detail)}" if exc.detail else "")
    if any(mark in text for mark in _ACCESS_DENIED_MARKS):
        return f"access denied (provider: {_shorten(said)})"
    if any(mark in text for mark in _THROTTLED_MARKS):
        return f"throttled past retries (provider: {_shorten(said)})"
    return f"provider error: {_shorten(said)}"


def _shorten(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# --- which provider, configured how ---------------------------------------------------------


def provider_for(ctx: AwsContext, session: ProviderSession, resource: DesiredResource, region: str) -> ConfiguredProvider:
    """The configured provider that manages `resource`: its state's provider address, that
    configuration's arguments evaluated from the workspace's code, the region filled in when the
    code leaves it to the environment."""
    workspace = ctx.workspaces.get(resource.source.state or "")
    key = ("provider-for", resource.provider, workspace, region)
    return ctx.memo(key, lambda: _provider_for(ctx, session, resource.provider, workspace, region))


def import_provider(ctx: AwsContext, session: ProviderSession, workspace: Path, region: str) -> tuple[ConfiguredProvider, str | None]:
    """The workspace's default AWS provider configuration, in `region` (an object to import is read
    where it lives), for objects no state names a provider for; and the region the code's default
    configuration names (None: left to the environment)."""
    folder = str(workspace)
    key = ("import-provider", folder, region)
    provider = ctx.memo(key, lambda: _provider_for(ctx, session, None, folder, region, region_wins=True))
    code_region = _code_provider_configs(ctx, folder).get(AWS.config_key, {}).get("region")
    return provider, code_region if isinstance(code_region, str) else None


def _provider_for(ctx: AwsContext, session: ProviderSession, provider: str | None, workspace: str | None,
                  region: str, *, region_wins: bool = False) -> ConfiguredProvider:
    address = parse_provider_address(provider) if provider else AWS
    if address is None:
        raise ProviderUnavailable(f"provider address {(provider or '')[:80]!r} in state is not one Terraform writes")
    workspace_path = Path(workspace) if workspace else None
    values = dict(_code_provider_configs(ctx, workspace).get(address.config_key, {}))
    if contains_unknown(values):
        unknown = sorted(k for k, v in values.items() if contains_unknown(v))
        raise ProviderUnavailable(
            f"provider {address.config_key} configuration depends on values known only after apply "
            f"({', '.join(unknown)}): driftdeck does not guess them", configuration=True,
        )
    if region_wins or not values.get("region"):
        values["region"] = region
    return session.configured(address.source, workspace_path, values)


def _code_provider_configs(ctx: AwsContext, workspace: str | None) -> dict[str, dict[str, Any]]:
    if not workspace:
        return {}
    return ctx.memo(("provider-configs", workspace), lambda: _evaluate_provider_configs(Path(workspace)))


def _evaluate_provider_configs(root: Path) -> dict[str, dict[str, Any]]:
    if not root.is_dir() or not (any(root.glob("*.tf")) or any(root.glob("*.tf.json"))):
        return {}
    from driftdeck.core.inputs.hcl import (  # deferred: HCL evaluator, only for .tf code (bench/import_time.py)
        DEFAULT_CACHE,
        load_configuration,
    )

    try:
        config = load_configuration(root, cache=DEFAULT_CACHE)
    except InputError as exc:
        raise ProviderUnavailable(f"provider configuration could not be evaluated: {exc}", configuration=True) from None
    return {key: dict(values) for key, values in config.providers.items()}


# --- planning through the same provider -----------------------------------------------------


def plan_code(
    ctx: AwsContext, resource: DesiredResource, code: dict[str, Any], region: str, *,
    ignore_changes: frozenset[str] = frozenset(), sensitive_paths: frozenset[str] = frozenset(),
    revert: bool = False,
) -> tuple[PlannedChange, PlannedChange | None]:
    """What the provider plans for `code` (a CodeInstance's evaluated arguments) against the
    resource's state (pending edits) and, with `revert`, against its live object read through the
    provider (what `terraform apply` would do to undo the drift; None when it is gone).
    Raises ProviderUnavailable, ProviderError, ShapeError or CtyError when it cannot plan."""
    session = ctx.providers
    if session is None:
        raise ProviderUnavailable("provider reads are not enabled for this scan")
    provider = provider_for(ctx, session, resource, region)
    if resource.type not in provider.client.schema.resource_types:
        raise ProviderUnavailable(f"{provider.label} has no resource type {resource.type}")
    object_type = provider.client.schema.type_of(resource.type)
    raw = json.dumps(resource.attributes, separators=(",", ":")).encode()
    prior = decode(provider.upgrade_state(resource.type, resource.schema_version, raw), object_type)
    private = _private_bytes(resource.private)
    hidden = resource.sensitive_paths | sensitive_paths
    code_plan = plan_change(provider, resource.type, prior, code, prior_private=private,
                            ignore_changes=ignore_changes, sensitive_paths=hidden)
    if not revert:
        return code_plan, None
    outcome = ProviderCollector(resource.type)._refresh(provider, resource, session)
    if outcome.error is not None:
        raise ProviderError(outcome.error)
    if outcome.live is None:
        return code_plan, None
    revert_plan = plan_change(provider, resource.type, outcome.live.attributes, code, prior_private=private,
                              ignore_changes=ignore_changes, sensitive_paths=hidden, side="live")
    return code_plan, revert_plan
