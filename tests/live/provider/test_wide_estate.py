"""The wide estate (38 types, applied by real Terraform against moto): driftdeck's verdicts
against `terraform plan -refresh-only` + `show -json`, resource for resource and path for path,
and the native collectors against the provider reads (the differential check).

Everything is computed once by the `wide_results` fixture (conftest.py): clean scans before the
out-of-band changes, drifted scans after, and Terraform's own answer on both.
"""

from __future__ import annotations

from typing import Any

import pytest
from wide_estate import VOLATILE
from wide_results import WideResults

from driftdeck.core.compare.state_vs_live import compare_typed
from driftdeck.core.cty import canonical
from driftdeck.core.live.collectors.provider_backed import VOLATILE_ATTRIBUTES
from driftdeck.core.live.provider.client import ProviderClient
from driftdeck.core.live.provider.process import ProviderProcess
from driftdeck.core.live.provider.session import ProviderSession
from driftdeck.core.model import ResourceResult, ScanReport, Status
from driftdeck.core.settings import user_cache_dir

pytestmark = [pytest.mark.terraform, pytest.mark.slow]

REQUIRED_TYPES = {
    "aws_s3_bucket", "aws_s3_bucket_versioning", "aws_s3_bucket_public_access_block", "aws_s3_bucket_policy",
    "aws_s3_bucket_server_side_encryption_configuration", "aws_s3_bucket_lifecycle_configuration",
    "aws_security_group", "aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule",
    "aws_vpc", "aws_subnet", "aws_instance", "aws_route_table", "aws_route_table_association",
    "aws_internet_gateway", "aws_eip",
    "aws_iam_role", "aws_iam_policy", "aws_iam_role_policy_attachment", "aws_iam_role_policy", "aws_iam_user",
    "aws_iam_group", "aws_iam_group_membership",
    "aws_sqs_queue", "aws_sns_topic", "aws_sns_topic_subscription",
    "aws_lambda_function", "aws_dynamodb_table", "aws_kms_key", "aws_kms_alias", "aws_cloudwatch_log_group",
    "aws_ssm_parameter", "aws_secretsmanager_secret", "aws_ecr_repository", "aws_route53_zone",
    "aws_route53_record", "aws_db_instance", "aws_db_subnet_group",
}  # fmt: skip

# Where a native collector and the provider disagree on purpose, per type: the attribute paths
# (prefixes) that only the provider compares. Native collectors check `checked_attributes` only;
# everything else in state is "not checked" for them, never drift.
NATIVE_CHECKS_LESS_THAN_PROVIDER = "native paths are a subset of the provider's"


def _changed_top(entry: dict[str, Any]) -> set[str]:
    before = entry["change"]["before"] or {}
    after = entry["change"]["after"] or {}
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    return changed - VOLATILE.get(entry["type"], set())


def _terraform_verdicts(drift: list[dict[str, Any]]) -> dict[str, str]:
    """address -> "changed" | "missing" as Terraform's resource_drift says (volatile-only drift dropped)."""
    out: dict[str, str] = {}
    for entry in drift:
        if entry["change"]["actions"] == ["delete"]:
            out[entry["address"]] = "missing"
        elif _changed_top(entry):
            out[entry["address"]] = "changed"
    return out


def _driftdeck_verdicts(report: ScanReport) -> dict[str, str]:
    return {r.address: r.status.value for r in report.resources
            if r.address and r.status in (Status.CHANGED, Status.MISSING)}


def _by_address(report: ScanReport) -> dict[str, ResourceResult]:
    return {r.address: r for r in report.resources if r.address}


def test_the_estate_is_wide_and_clean_for_terraform(wide_results: WideResults) -> None:
    estate = wide_results.estate
    assert REQUIRED_TYPES <= estate.types and len(estate.types) >= 34
    assert _terraform_verdicts(wide_results.terraform_clean) == {}


@pytest.mark.parametrize("reader", ["auto", "provider"])
def test_clean_scan_every_resource_in_sync_and_none_unknown(wide_results: WideResults, reader: str) -> None:
    report = wide_results.clean[reader]
    assert len(report.resources) == len(wide_results.estate.ids)
    not_in_sync = {r.address: (r.status.value, r.reason, [d.path for d in r.differences])
                   for r in report.resources if r.status is not Status.IN_SYNC}
    assert not_in_sync == {}


def test_auto_reads_native_types_natively_and_every_other_type_through_the_provider(wide_results: WideResults) -> None:
    from driftdeck.core.live.collectors import collector_for

    readers = {r.type: r.reader for r in wide_results.clean["auto"].resources}
    assert {t for t, who in readers.items() if who == "native"} == {t for t in readers if collector_for(t)}
    assert {t for t, who in readers.items() if who == "provider"} == {t for t in readers if not collector_for(t)}
    assert len({t for t, who in readers.items() if who == "provider"}) >= 20
    assert wide_results.clean["auto"].providers == ["registry.terraform.io/hashicorp/aws 5.100.0"]


def test_native_reader_alone_leaves_provider_types_unsupported(wide_results: WideResults) -> None:
    """What driftdeck could see before provider reads: the gap the provider closes."""
    unsupported = {r.type for r in wide_results.clean["native"].resources if "unsupported" in (r.reason or "")}
    assert len(unsupported) >= 20


def test_out_of_band_changes_reach_every_type(wide_results: WideResults) -> None:
    changed = {a.split(".")[0] for a, kind in wide_results.changes.items() if kind == "changed"}
    deleted = {a.split(".")[0] for a, kind in wide_results.changes.items() if kind == "deleted"}
    assert len(changed) >= 30 and len(deleted) >= 3
    assert wide_results.estate.types <= changed | deleted


def test_terraform_sees_every_out_of_band_change(wide_results: WideResults) -> None:
    seen = _terraform_verdicts(wide_results.terraform_drifted)
    expected = {a: "missing" if kind == "deleted" else "changed" for a, kind in wide_results.changes.items()}
    assert {a: seen.get(a) for a in expected} == expected


def test_provider_reads_report_the_same_drifted_resources_as_terraform(wide_results: WideResults) -> None:
    assert _driftdeck_verdicts(wide_results.drifted["provider"]) == _terraform_verdicts(wide_results.terraform_drifted)


def test_auto_reports_the_same_drifted_resources_as_terraform(wide_results: WideResults) -> None:
    assert _driftdeck_verdicts(wide_results.drifted["auto"]) == _terraform_verdicts(wide_results.terraform_drifted)


def test_provider_reads_report_the_same_paths_and_values_as_terraform(wide_results: WideResults) -> None:
    """Path for path: Terraform's before/after, judged with the same schema types, give exactly the
    differences driftdeck reported; and driftdeck's live object is Terraform's `after`."""
    results = _by_address(wide_results.drifted["provider"])
    binary = ProviderSession(env=wide_results.estate.tf_env).binary_for(
        "registry.terraform.io/hashicorp/aws", wide_results.estate.workdir)
    process = ProviderProcess(binary.path)
    process.start()
    try:
        schema = ProviderClient(process, cache_dir=user_cache_dir() / "schemas").schema  # no Configure needed
    finally:
        process.kill()
    mismatched: dict[str, Any] = {}
    for entry in wide_results.terraform_drifted:
        address, rtype = entry["address"], entry["type"]
        if entry["change"]["actions"] == ["delete"] or not _changed_top(entry):
            continue
        object_type = schema.type_of(rtype)
        volatile = VOLATILE_ATTRIBUTES.get(rtype, frozenset())
        theirs = sorted(
            (d.path, d.change.value)
            for d in compare_typed(entry["change"]["before"], entry["change"]["after"], object_type)
            if d.path.split(".")[0].split("[")[0] not in volatile
        )
        ours = sorted((d.path, d.change.value) for d in results[address].differences)
        if ours != theirs:
            mismatched[address] = {"driftdeck": ours, "terraform": theirs}
            continue
        for d in results[address].differences:
            if d.sensitive:
                continue
            live = results[address].live or {}
            top = d.path.split(".")[0].split("[")[0]
            attr_type = dict(object_type.attributes)[top]
            if canonical(live.get(top), attr_type) != canonical(entry["change"]["after"].get(top), attr_type):
                mismatched[address] = {"live differs from terraform's after at": top}
    assert mismatched == {}


def test_native_collectors_agree_with_the_provider(wide_results: WideResults) -> None:
    """Differential check on the drifted estate: same status per resource; every path a native
    collector reports the provider reports too (native collectors compare fewer attributes:
    that, and only that, is the deliberate difference)."""
    from driftdeck.core.live.collectors import collector_for

    native = _by_address(wide_results.drifted["native"])
    provider = _by_address(wide_results.drifted["provider"])
    disagreements: dict[str, Any] = {}
    for address, theirs in provider.items():
        if collector_for(theirs.type) is None:
            continue
        ours = native[address]
        if ours.status is not theirs.status:
            disagreements[address] = (ours.status.value, theirs.status.value, ours.reason, theirs.reason)
            continue
        native_paths = {d.path for d in ours.differences}
        provider_paths = {d.path for d in theirs.differences}
        if not native_paths <= provider_paths and not _same_tops(native_paths, provider_paths):
            disagreements[address] = {"native only": sorted(native_paths - provider_paths)}
    assert disagreements == {}, NATIVE_CHECKS_LESS_THAN_PROVIDER


def _same_tops(a: set[str], b: set[str]) -> bool:
    """Native collectors report some nested values at a coarser path (a whole policy document)."""
    top = {p.split(".")[0].split("[")[0] for p in b}
    return all(p.split(".")[0].split("[")[0] in top for p in a)


def test_one_provider_process_served_every_scan(wide_results: WideResults) -> None:
    before, after = wide_results.provider_pids
    assert before and before == after and None not in before
