"""Secret values never reach a plan: state marks `tags.ApiToken` sensitive, live drifted on it, and the
Markdown, patch, JSON, CLI output and audit entries hold a placeholder instead (moto over HTTP)."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from remediation_support import PROVIDER, bucket_tags, scan

from driftdeck.core.aws import AwsContext
from driftdeck.core.remediation import PlanOptions, apply_revert, plan_resource
from driftdeck.tui.cli import main

SECRET = "STATE-SECRET-xyz789"
LIVE_SECRET = "LIVE-SECRET-abc456"

DATA_TF = """\
resource "aws_s3_bucket" "data" {
  bucket = "dd-data"

  tags = {
    Env      = "prod"
    ApiToken = var.api_token
  }
}

variable "api_token" {
  type      = string
  sensitive = true
}
"""


@pytest.fixture()
def audit_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "config"
    monkeypatch.setenv("DRIFTDECK_CONFIG_DIR", str(home))
    monkeypatch.delenv("DRIFTDECK_AUDIT_KEY", raising=False)
    return home


def _secret_workspace(root: Path, live_tags: dict[str, str], *, mirrored: bool = False) -> Path:
    """`mirrored`: state marks `tags_all.ApiToken` sensitive too, as Terraform itself writes it."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="dd-data")
    s3.put_bucket_tagging(Bucket="dd-data", Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in live_tags.items()]})
    root.mkdir(parents=True)
    (root / "main.tf").write_text(DATA_TF)
    tags = {"Env": "prod", "ApiToken": SECRET}
    index = {"type": "index", "value": {"value": "ApiToken", "type": "string"}}
    marked = [[{"type": "get_attr", "value": top}, index] for top in (("tags", "tags_all") if mirrored else ("tags",))]
    doc = {
        "version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "driftdeck-sensitive-tests", "outputs": {},
        "resources": [{
            "mode": "managed", "type": "aws_s3_bucket", "name": "data", "provider": PROVIDER,
            "instances": [{"schema_version": 0, "sensitive_attributes": marked,
                           "attributes": {"id": "dd-data", "bucket": "dd-data", "arn": "arn:aws:s3:::dd-data",
                                          "tags": tags, "tags_all": tags}}],
        }],
    }
    (root / "terraform.tfstate").write_text(json.dumps(doc))
    return root


def _audit_text(root: Path) -> str:
    from driftdeck.core.audit import AuditReader

    entries = list(AuditReader.for_workspace(root).iter_entries())
    assert entries
    return "\n".join(json.dumps({"subject": e.subject, "data": e.data}, default=str) for e in entries)


@pytest.mark.usefixtures("aws_env", "audit_home")
@pytest.mark.parametrize("mirrored", [False, True], ids=["tags-only", "tags-and-tags_all"])
def test_plan_outputs_hold_a_placeholder_never_the_secret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mirrored: bool
) -> None:
    root = _secret_workspace(tmp_path / "estate", {"Env": "staging", "ApiToken": LIVE_SECRET}, mirrored=mirrored)

    assert main(["plan", "aws_s3_bucket.data", str(root), "--stdout"]) == 0
    stdout = capsys.readouterr().out
    md = (root / ".driftdeck" / "plans" / "plan-aws_s3_bucket.data.md").read_text()
    patch = (root / ".driftdeck" / "plans" / "plan-aws_s3_bucket.data.patch").read_text()
    assert main(["plan", "aws_s3_bucket.data", str(root), "--format", "json"]) == 0
    as_json = capsys.readouterr().out
    audit = _audit_text(root)

    for name, text in {"markdown": md, "patch": patch, "stdout": stdout, "json": as_json, "audit": audit}.items():
        assert SECRET not in text, name
        assert LIVE_SECRET not in text, name
    # the command is still there, with a placeholder the operator fills in, and says so
    assert "aws s3api put-bucket-tagging" in md
    assert "<sensitive: tags.ApiToken from state>" in md
    assert "fill them in before running" in md
    # no contradiction: the AWS command does cover tags.ApiToken
    assert "no AWS CLI equivalent generated for tags.ApiToken" not in md
    # adopt still writes the non-sensitive tag, never the secret one
    assert '+    Env      = "staging"' in patch
    assert "ApiToken" not in "".join(line for line in patch.splitlines() if line.startswith("+"))
    doc = json.loads(as_json)
    revert = doc["resources"][0]["directions"][0]
    assert revert["aws_calls"][0]["placeholders"] is True
    assert "tags.ApiToken" in revert["answered"]


@pytest.mark.usefixtures("aws_env", "audit_home")
@pytest.mark.parametrize("mirrored", [False, True], ids=["tags-only", "tags-and-tags_all"])
def test_safe_apply_restores_the_secret_without_recording_it(tmp_path: Path, mirrored: bool) -> None:
    from driftdeck.core.audit.log import AuditLog

    root = _secret_workspace(tmp_path / "estate", {"Env": "prod", "ApiToken": LIVE_SECRET}, mirrored=mirrored)
    result = scan(root)["aws_s3_bucket.data"]
    plan = plan_resource(result, PlanOptions(workspace=root))
    assert plan is not None
    revert = plan.direction("revert")
    assert revert is not None and revert.safe_to_apply
    assert all(SECRET not in c.text for c in revert.commands)
    log = AuditLog.open(root)
    try:
        outcome = apply_revert(plan, AwsContext(), read_only=False, audit_log=log)
    finally:
        log.close()
    assert outcome.ok, outcome.error
    # boto3 sent the real state value; nothing printed or recorded holds it
    assert bucket_tags("dd-data") == {"Env": "prod", "ApiToken": SECRET}
    audit = _audit_text(root)
    assert "remediation.applied" in audit or outcome.audit_seq is not None
    assert SECRET not in audit and LIVE_SECRET not in audit


@pytest.mark.usefixtures("aws_env")
def test_secret_not_drifted_still_hidden_in_whole_tag_set(tmp_path: Path) -> None:
    # only Env drifted; put-bucket-tagging still carries every tag, ApiToken included
    root = _secret_workspace(tmp_path / "estate", {"Env": "staging", "ApiToken": SECRET})
    result = scan(root)["aws_s3_bucket.data"]
    assert [d.path for d in result.differences] == ["tags.Env"]
    plan = plan_resource(result, PlanOptions(workspace=root))
    assert plan is not None
    texts = json.dumps([d.to_json() for d in plan.directions])
    assert SECRET not in texts
    assert "<sensitive: tags.ApiToken from state>" in texts


def test_without_state_the_tags_all_mirror_is_still_hidden() -> None:
    from driftdeck.core.model import Difference, ResourceResult, SourceRef, Status
    from driftdeck.core.remediation.revert import revert_calls

    # what a scan hands over: `tags` redacted as a whole, `tags_all` (same values) not, the state file gone
    result = ResourceResult(
        address="aws_sqs_queue.jobs", type="aws_sqs_queue", id="https://q/jobs", status=Status.CHANGED,
        source=SourceRef(kind="terraform", state="/nonexistent/terraform.tfstate"),
        differences=[Difference("tags.ApiToken", SECRET, LIVE_SECRET, sensitive=True)],
        expected={"url": "https://q/jobs", "tags": "(sensitive)", "tags_all": {"Env": "prod", "ApiToken": SECRET}},
        live={"tags": "(sensitive)"},
    )
    calls = revert_calls(result)
    assert calls.answered == ["tags.ApiToken"]
    (call,) = calls.calls
    assert call.params["Tags"] == {"ApiToken": SECRET}  # boto3 gets the state value
    assert SECRET not in call.cli() and SECRET not in json.dumps(call.to_json())
    assert "<sensitive: tags.ApiToken from state>" in call.cli()
