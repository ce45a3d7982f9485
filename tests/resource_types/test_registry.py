"""The type registry's contract: every registered type has each per-type fact, or says why not.

Parametrised over every entry, so a new type is held to the same projections as the old ones: the
attribution rows, the collector, ForceNew, import arguments, revert builders and tag calls, the
CloudFormation mapping and the discovery ARN row.
"""

from __future__ import annotations

import string

import pytest

from driftdeck.core.attribution.rules import COVERED_TYPES, RULES
from driftdeck.core.inputs.cfn.intrinsics import KNOWN_ATTRIBUTES
from driftdeck.core.live.collectors import all_collectors, collector_for
from driftdeck.core.live.discovery.table import parse_arn, rule_for
from driftdeck.core.model import ChangeKind, Difference, ResourceResult, Status
from driftdeck.core.remediation.adopt import COMPUTED_WHEN_UNSET
from driftdeck.core.remediation.importing import ARGUMENTS, import_id
from driftdeck.core.remediation.revert import revert_calls
from driftdeck.core.remediation.risks import FORCE_NEW
from driftdeck.core.resource_types import REGISTRY, ResourceType, Unsupported
from driftdeck.core.resource_types.cloudformation import PROPERTY_MAPS, TERRAFORM_TYPES
from driftdeck.core.resource_types.facts import ArnRow

ENTRIES = list(REGISTRY.values())
NATIVE = [e for e in ENTRIES if not isinstance(e.collector, Unsupported)]


def _ids(entry: ResourceType) -> str:
    return entry.name


def _declared(value: object) -> bool:
    """A fact is present (non-empty) or explicitly unsupported with a reason."""
    if isinstance(value, Unsupported):
        return bool(value.reason.strip())
    return value is not None and value != ""


@pytest.mark.parametrize("entry", ENTRIES, ids=_ids)
def test_every_fact_is_present_or_explicitly_unsupported(entry: ResourceType) -> None:
    for fact in ("events", "collector", "force_new", "import_arguments", "revert", "tag_revert", "arn"):
        assert _declared(getattr(entry, fact)), f"{entry.name}.{fact}"
    assert _declared(entry.identity.cfn_type) and entry.identity.import_id
    assert entry.parent is None or entry.parent in REGISTRY


@pytest.mark.parametrize("entry", ENTRIES, ids=_ids)
def test_rows_name_their_own_type(entry: ResourceType) -> None:
    rows = () if isinstance(entry.events, Unsupported) else entry.events
    assert all(r.target.type == entry.name for r in rows)
    assert all(t.type == entry.name for t in entry.fallback)
    for r in rows:
        assert entry.name in {t.type for t in RULES[entry.event_source][r.event_name]}


@pytest.mark.parametrize("entry", ENTRIES, ids=_ids)
def test_collector_projection(entry: ResourceType) -> None:
    collector = collector_for(entry.name)
    if isinstance(entry.collector, Unsupported):
        assert collector is None
    else:
        assert collector is not None and collector.resource_type == entry.name
        assert type(collector).__module__ == f"driftdeck.core.live.collectors.{entry.collector}"


@pytest.mark.parametrize("entry", NATIVE, ids=_ids)
def test_natively_read_types_have_every_fallback_fact(entry: ResourceType) -> None:
    """What a plan needs without a provider: ForceNew, import arguments, attribution rows."""
    assert entry.name in COVERED_TYPES
    assert entry.name in FORCE_NEW and entry.name in ARGUMENTS
    effects = {r.target.effect for r in entry.events} if not isinstance(entry.events, Unsupported) else set()
    assert "delete" in effects and effects & {"update", "create"}, effects


@pytest.mark.parametrize("entry", ENTRIES, ids=_ids)
def test_cloudformation_projection(entry: ResourceType) -> None:
    cfn_type = entry.identity.cfn_type
    if isinstance(cfn_type, Unsupported):
        assert entry.name not in TERRAFORM_TYPES.values()
    else:
        assert TERRAFORM_TYPES[cfn_type] == entry.name and PROPERTY_MAPS.get(entry.name)
        assert set(KNOWN_ATTRIBUTES.get(cfn_type, {})) == set(entry.identity.cfn_attributes)


@pytest.mark.parametrize("entry", ENTRIES, ids=_ids)
def test_adopt_projection(entry: ResourceType) -> None:
    assert COMPUTED_WHEN_UNSET.get(entry.name, frozenset()) == entry.computed_when_unset


@pytest.mark.parametrize("entry", [e for e in ENTRIES if isinstance(e.arn, ArnRow)], ids=_ids)
def test_discovery_recognises_the_arn(entry: ResourceType) -> None:
    row = entry.arn
    assert isinstance(row, ArnRow)
    if row.derive == "sns_subscription":
        arn = f"arn:aws:sns:eu-west-1:123456789012:topic:{'a' * 8}"
    elif row.arn_type:
        arn = f"arn:aws:{row.service}:eu-west-1:123456789012:{row.arn_type}/thing"
    else:
        arn = f"arn:aws:{row.service}:eu-west-1:123456789012:thing"
    parsed = parse_arn(arn)
    assert parsed is not None
    rule = rule_for(parsed)
    assert rule is not None and rule.terraform_type == entry.name


def _tag_drift(entry: ResourceType) -> ResourceResult:
    attrs = {"tags": {"env": "prod"}, "tags_all": {"env": "prod"}, "bucket": "b", "name": "n", "arn": "arn:aws:x",
             "url": "https://sqs.eu-west-1.amazonaws.com/1/q"}
    return ResourceResult(
        address=f"{entry.name}.x", type=entry.name, id="id-1", status=Status.CHANGED, source=None,
        differences=[Difference("tags.env", "prod", "dev", ChangeKind.UPDATED)],
        expected=attrs, live={**attrs, "tags": {"env": "dev"}},
    )


@pytest.mark.parametrize("entry", ENTRIES, ids=_ids)
def test_tag_revert_projection(entry: ResourceType) -> None:
    """A type with a tag family gets tag calls for drifted tags; one without gets none."""
    calls = revert_calls(_tag_drift(entry)).calls
    if isinstance(entry.tag_revert, Unsupported):
        assert calls == []
    else:
        assert calls and all("tag" in c.operation for c in calls), calls


def test_registry_covers_every_native_collector() -> None:
    """Today's gap: the egress-rule collector existed but the attribution coverage list, the
    ForceNew table and the revert builders did not name it."""
    natively = set(all_collectors())
    assert natively == set(COVERED_TYPES) == {e.name for e in NATIVE}
    assert natively <= set(FORCE_NEW) and natively <= set(ARGUMENTS)
    assert "aws_vpc_security_group_egress_rule" in COVERED_TYPES


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.identity.import_id_from], ids=_ids)
def test_import_id_follows_the_entry_s_format(entry: ResourceType) -> None:
    form = entry.identity.import_id_from
    assert form is not None
    fields = [name for _, name, _, _ in string.Formatter().parse(form) if name]
    live = {name: f"<{name}>" for name in fields}
    result = ResourceResult(address=None, type=entry.name, id="provider-id", status=Status.UNMANAGED, source=None,
                            live=live)
    assert import_id(result) == form.format(**live)
    assert import_id(ResourceResult(address=None, type=entry.name, id="provider-id", status=Status.UNMANAGED,
                                    source=None, live={})) == "provider-id"
