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
from driftdeck.core.collectors import collector_for
from driftdeck.core.errors import InputError
from driftdeck.core.hcl import (
    DEFAULT_CACHE,
    compare_code_to_state,
    contains_unknown,
    load_configuration,
    match_code_to_live,
    state_lookup_from_tfstate,
)
from driftdeck.core.model import DesiredResource, LiveResource, ResourceResult, SourceRef, Status
from driftdeck.core.tfstate import StateFile


def _is_aws(rtype: str) -> bool:
    return rtype.startswith("aws_")


def apply_code(states: Sequence[StateFile], results: list[ResourceResult], warnings: list[str]) -> list[ResourceResult]:
    """Annotate `results` with source positions and pending changes; returns the list to report.

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
        pending = compare_code_to_state(
            config.instances, state.resources, undecidable=config.is_undecidable, moved=config.moved, include_type=_is_aws
        )
        indexes = by_state.get(state.origin, [])
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
            if not code_diffs:
                continue
            res.differences = [*res.differences, *code_diffs]
            if res.status is Status.IN_SYNC:
                res.status = Status.PENDING
                removed = any(d.path == "" for d in code_diffs)
                res.reason = "removed from code, still in state: the next apply destroys it" if removed else "code edited, not applied yet"
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
