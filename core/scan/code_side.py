"""The code side of the three-way comparison: Terraform configuration vs state (and positions).

For every state whose configuration folder holds `.tf` files, the configuration is evaluated
against that state; each resource learns its file and line, and what the code changes before it
is applied becomes `pending` (or extra `side="code"` differences on a drifted resource).
With no state at all, `code_only_state` makes the code itself the desired state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from driftdeck.core.aws import AwsContext, describe_failure
from driftdeck.core.cty import CtyError
from driftdeck.core.errors import InputError
from driftdeck.core.inputs.hcl import DEFAULT_CACHE, load_configuration, state_lookup_from_tfstate
from driftdeck.core.inputs.hcl.results import CodeInstance, Configuration, apply_moves
from driftdeck.core.inputs.tfstate import StateFile
from driftdeck.core.live.collectors import collector_for
from driftdeck.core.live.collectors.fanout import map_concurrently
from driftdeck.core.live.collectors.provider_backed import plan_code
from driftdeck.core.live.provider.client import ProviderError
from driftdeck.core.live.provider.session import ProviderUnavailable
from driftdeck.core.live.provider.shaping import ShapeError
from driftdeck.core.model import (
    DesiredResource,
    LiveResource,
    PlannedChange,
    ResourceResult,
    SourceRef,
    Status,
    region_of,
)
from driftdeck.core.scan.pending import compare_code_to_state, match_code_to_live
from driftdeck.core.text import printable
from driftdeck.core.unknown import contains_unknown


def _is_aws(rtype: str) -> bool:
    return rtype.startswith("aws_")


def apply_code(
    states: Sequence[StateFile], results: list[ResourceResult], warnings: list[str],
    ctx: AwsContext | None = None, default_region: str = "",
) -> list[ResourceResult]:
    """Annotate `results` with source positions and pending changes; returns the list to report.

    With a provider session on `ctx`, pending changes are the provider's own plan of the code
    against the state (PlanResourceChange, as `terraform plan` makes it: defaults, normalisation
    and replacement decided by the provider), and each drifted resource learns what applying the
    code would do to its live object (`revert_plan`). Without one, or where the provider cannot
    plan a resource, driftdeck's own comparison of code and state decides (a warning counts them).
    A configuration that cannot be evaluated costs only its pending information (a warning says
    why); the drift verdicts stand.
    """
    by_state: dict[str, list[int]] = {}
    for i, res in enumerate(results):
        if res.source is not None and res.source.kind == "terraform" and res.source.state:
            by_state.setdefault(res.source.state, []).append(i)
    out = list(results)
    for state in states:
        root = Path(state.config_dir) if state.config_dir else None
        if root is None or not root.is_dir() or not (any(root.glob("*.tf")) or any(root.glob("*.tf.json"))):
            continue
        try:
            config = load_configuration(root, state_lookup=state_lookup_from_tfstate(state.document), cache=DEFAULT_CACHE)  # re-parses only edited files
        except InputError as exc:
            warnings.append(f"code not evaluated, no pending changes for {state.origin}: {exc}")
            continue
        indexes = by_state.get(state.origin, [])
        config, planned = _plan_to_fixpoint(ctx, state, root, config, [out[i] for i in indexes], default_region, warnings)
        pending = compare_code_to_state(
            config.instances, state.resources, undecidable=config.is_undecidable, moved=config.moved, include_type=_is_aws
        )
        seen: set[str] = set()
        for i in indexes:
            res = out[i]
            if res.address is None:
                continue
            seen.add(res.address)
            inst = config.instances.get(res.address)
            if inst is not None and res.source is not None:
                out[i] = res = _with_position(res, root, inst.file, inst.line)
            code_diffs = pending.get(res.address, [])
            plans = planned.get(res.address)
            if plans is not None:
                res.code_plan, res.revert_plan = plans
                code_diffs = [] if res.code_plan.action == "no-op" else list(res.code_plan.differences)
            if not code_diffs:
                continue
            res.differences = [*res.differences, *code_diffs]
            if res.status is Status.IN_SYNC:
                res.status = Status.PENDING
                removed = any(d.path == "" for d in code_diffs)
                res.reason = ("removed from code, still in state: the next apply destroys it" if removed
                              else _pending_reason(res.code_plan))
        for address, diffs in pending.items():
            if address in seen or not any(d.path == "" for d in diffs):
                continue
            inst = config.instances.get(address)
            if inst is None:
                continue
            out.append(
                ResourceResult(
                    address=address, type=inst.type, id="", status=Status.PENDING,
                    source=SourceRef(kind="terraform", file=str(root / inst.file), line=inst.line, module=inst.module, state=state.origin),
                    differences=diffs, reason="in code, not applied yet",
                )
            )
    return out


def _pending_reason(plan: PlannedChange | None) -> str:
    if plan is None:
        return "code edited, not applied yet"
    if plan.action == "replace":
        return (f"code edited, not applied yet: the next apply replaces it ({', '.join(plan.requires_replace)} "
                f"cannot change in place; decided by {plan.decided_by})")
    return f"code edited, not applied yet: the next apply updates it in place (decided by {plan.decided_by})"


# A reference chain longer than this (a → b → c … each with a pending change) is planned with the
# later links seeing state values; Terraform configurations rarely chain pending edits this deep.
_MAX_PLAN_ROUNDS = 8

Plans = dict[str, tuple[PlannedChange, PlannedChange | None]]


def _plan_to_fixpoint(
    ctx: AwsContext | None, state: StateFile, root: Path, config: Configuration, results: Sequence[ResourceResult],
    default_region: str, warnings: list[str],
) -> tuple[Configuration, Plans]:
    """Plan every resource, then let references see the planned objects of resources with pending
    changes (as `terraform plan` walks its graph: an in-place update keeps computed values, a
    replacement makes them unknown) and re-plan what that changed, until nothing moves.
    Returns the final evaluation of the code and the plans."""
    failed: dict[str, str] = {}
    planned = _provider_plans(ctx, state, config, results, default_region, failed)
    seen_refs: dict[str, dict[str, Any]] = {}
    for _ in range(_MAX_PLAN_ROUNDS):
        refs = {a: p[0].referenced for a, p in planned.items() if p[0].referenced is not None}
        if refs == seen_refs:
            break
        seen_refs = refs
        try:
            again = load_configuration(root, state_lookup=state_lookup_from_tfstate(state.document),
                                       cache=DEFAULT_CACHE, planned=refs)
        except InputError:
            break  # evaluated once already; a second evaluation cannot fail differently
        moved = {a for a, inst in again.instances.items()
                 if a not in config.instances or inst.attributes != config.instances[a].attributes}
        config = again
        if not moved:
            break
        planned.update(_provider_plans(ctx, state, config, [r for r in results if r.address in moved],
                                       default_region, failed))
    if failed:
        first = next(iter(failed.items()))
        warnings.append(f"the provider could not plan {len(failed)} resource(s), so driftdeck's own comparison of code "
                        f"and state decided their pending changes (first: {printable(': '.join(first))[:300]})")
    return config, planned


def _provider_plans(
    ctx: AwsContext | None, state: StateFile, config: Configuration, results: Sequence[ResourceResult],
    default_region: str, failed: dict[str, str],
) -> Plans:
    """Per address, the provider's plan of the code against state and (drifted ones) against live;
    addresses the provider could not plan go to `failed` with the reason."""
    if ctx is None or ctx.providers is None:
        return {}
    desired = {apply_moves(d.address, config.moved): d for d in state.resources}
    jobs = []
    for res in results:
        inst = config.instances.get(res.address or "")
        resource = desired.get(res.address or "")
        if inst is None or resource is None or inst.mode != "managed" or not _is_aws(inst.type):
            continue
        if res.status is Status.UNKNOWN or res.reader == "cloudformation":
            continue
        jobs.append((res, resource, inst))

    def plan(job: tuple[ResourceResult, DesiredResource, CodeInstance]) -> tuple[str, Any]:
        res, resource, inst = job
        region = res.region or region_of(resource, default_region or ctx.default_region)
        try:
            return res.address or "", plan_code(
                ctx, resource, inst.attributes, region, ignore_changes=inst.ignore_changes,
                sensitive_paths=inst.sensitive_paths, revert=res.status is Status.CHANGED,
            )
        except ProviderUnavailable as exc:
            # No binary at all is the documented no-provider mode (native types still checked, the
            # others already `unknown` saying so): driftdeck's comparison decides, without a warning.
            return res.address or "", None if exc.not_found else str(exc)
        except (ProviderError, ShapeError, CtyError, KeyError) as exc:
            return res.address or "", str(exc)

    out: Plans = {}
    for address, answer in map_concurrently(jobs, plan, max_workers=16):
        if isinstance(answer, str):
            failed[address] = answer
        elif answer is not None:
            failed.pop(address, None)
            out[address] = answer
    return out


def _with_position(res: ResourceResult, root: Path, file: str, line: int) -> ResourceResult:
    assert res.source is not None
    res.source = replace(res.source, file=str(root / file), line=line)
    return res


def _known(attributes: dict[str, Any]) -> dict[str, Any]:
    """Top-level attributes whose values are fully known (unknowns are never compared)."""
    return {k: v for k, v in attributes.items() if not contains_unknown(v)}


def code_only_state(
    root: Path, ctx: AwsContext, region: str
) -> tuple[list[DesiredResource], list[ResourceResult], list[str]]:
    """Desired state from code alone (no state anywhere): each resource whose code fixes its AWS name
    is found live by that name and compared on the attributes the code sets.

    Returns (desired resources for the normal read/compare path, verdicts decided here, warnings).
    """
    config = load_configuration(root, cache=DEFAULT_CACHE)
    warnings = [f"no Terraform state under {root}: comparing the code to live AWS by resource name"]
    instances = {
        a: i for a, i in config.instances.items() if i.mode == "managed" and _is_aws(i.type)
    }
    lives: list[LiveResource] = []
    failed: dict[str, str] = {}
    for rtype in sorted({i.type for i in instances.values()}):
        collector = collector_for(rtype)
        if collector is None or not collector.discoverable:
            continue
        try:
            lives.extend(collector.discover(ctx, region))
        except Exception as exc:  # noqa: BLE001 - the type's resources become unknown, with the reason
            failed[rtype] = describe_failure(exc)
    matches = match_code_to_live(instances, lives)
    desired: list[DesiredResource] = []
    decided: list[ResourceResult] = []
    for address, inst in sorted(instances.items()):
        source = SourceRef(kind="terraform", file=str(root / inst.file), line=inst.line, module=inst.module)
        verdict = ResourceResult(address=address, type=inst.type, id="", status=Status.UNKNOWN, source=source)
        if collector_for(inst.type) is None:
            verdict.reason = f"unsupported resource type {inst.type}: not checked"
        elif inst.type in failed:
            verdict.reason = f"could not list {inst.type} live: {failed[inst.type]}"
        elif address not in matches:
            verdict.reason = "no state, and the code does not fix this resource's name: it cannot be found live"
        elif matches[address] is None:
            natural = inst.natural_name
            verdict.status = Status.MISSING
            verdict.reason = f"in code, but no live {inst.type} named {natural[1] if natural else '?'}"
        else:
            live = matches[address]
            assert live is not None
            desired.append(
                DesiredResource(
                    address=address, type=inst.type, id=live.id, attributes={**_known(inst.attributes), "id": live.id},
                    source=source, sensitive_paths=frozenset(inst.sensitive_paths), code_attributes=inst.attributes,
                )
            )
            continue
        decided.append(verdict)
    return desired, decided, warnings
