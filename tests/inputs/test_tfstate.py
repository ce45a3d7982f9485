"""Terraform state reading: real-world files, modules, count/for_each, sensitive values, bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import boto3
import pytest
from repo_paths import CORPORA

from driftdeck.core.errors import InputError
from driftdeck.core.inputs.hcl import load_configuration
from driftdeck.core.inputs.tfstate import (
    find_s3_backends,
    find_state_files,
    parse_state,
    read_s3_state,
    read_state_file,
    redact,
)

BROKEN = {
    "invalid.tfstate": "not valid JSON",
    "invalid_version.tfstate": "not a Terraform version",
    "unsupported_version.tfstate": "written by Terraform 0.10.26",
    "version_3_state.json": "version 3",
    "invalid_version_state.json": "unsupported state format version 2",
}


def _state(resources: list[dict], version: int = 4) -> str:
    return json.dumps({"version": version, "terraform_version": "1.11.4", "serial": 7, "lineage": "abc", "resources": resources})


def test_every_corpus_state_reads_or_fails_clearly() -> None:
    files = sorted(CORPORA.joinpath("tfstate").rglob("*.tfstate")) + sorted(CORPORA.joinpath("tfstate").rglob("*.json"))
    if not files:
        pytest.skip("shared corpus not present")
    read, failed = 0, {}
    for path in files:
        try:
            read_state_file(path)
            read += 1
        except InputError as exc:
            assert str(path) in str(exc)
            failed[path.name] = str(exc)
    assert read >= 150
    assert set(failed) == set(BROKEN), failed
    for name, needle in BROKEN.items():
        assert needle in failed[name]


def test_modules_count_and_for_each_addresses() -> None:
    text = _state(
        [
            {"mode": "managed", "type": "aws_sqs_queue", "name": "q", "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
             "instances": [{"index_key": 0, "attributes": {"id": "u0"}}, {"index_key": 1, "attributes": {"id": "u1"}}]},
            {"module": "module.net", "mode": "managed", "type": "aws_subnet", "name": "private",
             "provider": 'module.net.provider["registry.terraform.io/hashicorp/aws"]',
             "instances": [{"index_key": "a", "attributes": {"id": "subnet-1"}}]},
            {"mode": "data", "type": "aws_caller_identity", "name": "me", "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
             "instances": [{"attributes": {"id": "123"}}]},
            {"mode": "managed", "type": "random_id", "name": "r", "provider": 'provider["registry.terraform.io/hashicorp/random"]',
             "instances": [{"attributes": {"id": "x"}}]},
        ]
    )
    state = parse_state(text, "t.tfstate")
    assert [r.address for r in state.resources] == [
        "aws_sqs_queue.q[0]",
        "aws_sqs_queue.q[1]",
        'module.net.aws_subnet.private["a"]',
    ]
    assert state.resources[2].source.module == "module.net"
    assert state.other_provider_count == 1
    assert (state.serial, state.lineage) == (7, "abc")


def test_sensitive_attributes_are_tracked_and_redacted() -> None:
    text = _state(
        [{"mode": "managed", "type": "aws_db_instance", "name": "db", "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
          "instances": [{"attributes": {"id": "db", "password": "hunter2", "tags": {"a": "b"}},
                         "sensitive_attributes": [[{"type": "get_attr", "value": "password"}]]}]}]
    )
    res = parse_state(text, "t.tfstate").resources[0]
    assert res.sensitive_paths == frozenset({"password"})
    shown = redact(res.attributes, res.sensitive_paths)
    assert shown["password"] == "(sensitive)" and "hunter2" not in json.dumps(shown)
    assert shown["tags"] == {"a": "b"}


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ('{"version": 4, "resources": [', "not valid JSON"),
        ("", "empty"),
        ('{"version": 5}', "unsupported state format version 5"),
        ('{"version": 3, "modules": []}', "version 3"),
        ('[1, 2]', "JSON object"),
        ('{"version": 4, "resources": [{"mode": "managed", "type": "aws_vpc", "name": "v", "instances": [{"index_key": 1.5, "attributes": {}}]}]}', "index_key"),
    ],
)
def test_bad_state_names_the_file(tmp_path: Path, content: str, needle: str) -> None:
    path = tmp_path / "broken.tfstate"
    path.write_text(content)
    with pytest.raises(InputError) as info:
        read_state_file(path)
    assert str(path) in str(info.value)
    assert needle in str(info.value)


def test_truncated_state_reports_the_line(tmp_path: Path) -> None:
    full = json.dumps({"version": 4, "resources": [{"mode": "managed", "type": "aws_vpc", "name": "v", "instances": []}]}, indent=2)
    path = tmp_path / "t.tfstate"
    path.write_text(full[: len(full) // 2])
    with pytest.raises(InputError) as info:
        read_state_file(path)
    assert info.value.file == str(path) and info.value.line is not None and info.value.line > 1


def test_finds_state_files_but_not_provider_caches(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "terraform.tfstate").write_text(_state([]))
    (tmp_path / ".terraform").mkdir()
    (tmp_path / ".terraform" / "terraform.tfstate").write_text("{}")
    (tmp_path / "b.tfstate.backup").write_text("{}")
    assert find_state_files(tmp_path) == [tmp_path / "a" / "terraform.tfstate"]


def test_s3_backend_state_is_fetched(aws_env, tmp_path: Path) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="tf-state")
    s3.put_object(
        Bucket="tf-state", Key="prod/terraform.tfstate",
        Body=_state([{"mode": "managed", "type": "aws_sqs_queue", "name": "q", "instances": [{"attributes": {"id": "u"}}]}]),
    )
    (tmp_path / "backend.tf").write_text(
        'terraform {\n  backend "s3" {\n    bucket = "tf-state"\n    key    = "prod/terraform.tfstate"\n'
        f'    region = "us-east-1"\n    endpoints = {{ s3 = "{aws_env.url}" }}\n    use_path_style = true\n  }}\n}}\n'
    )
    (backend,) = find_s3_backends(tmp_path)
    assert (backend.bucket, backend.key, backend.endpoint) == ("tf-state", "prod/terraform.tfstate", aws_env.url)
    state = read_s3_state(backend, boto3.session.Session())
    assert state.origin == "s3://tf-state/prod/terraform.tfstate"
    assert [r.address for r in state.resources] == ["aws_sqs_queue.q"]
    assert state.written_at is not None


def test_unreadable_s3_backend_names_bucket_and_declaring_file(aws_env, tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        f'terraform {{\n  backend "s3" {{\n    bucket = "no-such-bucket"\n    key = "k.tfstate"\n    endpoint = "{aws_env.url}"\n  }}\n}}\n'
    )
    (backend,) = find_s3_backends(tmp_path)
    with pytest.raises(InputError) as info:
        read_s3_state(backend, boto3.session.Session())
    assert "s3://no-such-bucket/k.tfstate" in str(info.value)
    assert str(tmp_path / "main.tf") in str(info.value)


def test_aws_region_is_honoured_like_the_aws_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    from driftdeck.core.aws import AwsContext

    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_REGION", "eu-west-3")
    assert AwsContext().default_region == "eu-west-3"


# Every spelling of the AWS provider Terraform has written into v4 states: 0.12's `provider.aws`
# (+ alias, + module prefix) and 0.13+'s `provider["registry.terraform.io/hashicorp/aws"]`.
_AWS_PROVIDER = re.compile(r'^(module\.[^.]+(\[[^\]]*\])?\.)*provider(\.aws(\.[A-Za-z0-9_-]+)?|\["([^/"]+/)?(-/|hashicorp/)aws"\](\.[A-Za-z0-9_-]+)?)$')


def _corpus_v4_states() -> list[Path]:
    files = [p for p in sorted(CORPORA.joinpath("tfstate").rglob("*")) if p.suffix in (".tfstate", ".json")]
    out = []
    for path in files:
        try:
            doc = json.loads(path.read_text())
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(doc, dict) and doc.get("version") == 4 and path.name not in BROKEN:
            out.append(path)
    return out


def test_no_corpus_state_loses_an_aws_instance_whatever_its_provider_spelling() -> None:
    states = _corpus_v4_states()
    if not states:
        pytest.skip("shared corpus not present")
    legacy_files = 0
    for path in states:
        doc = json.loads(path.read_text())
        managed = [r for r in doc.get("resources", []) if r.get("mode", "managed") == "managed"]
        aws = sum(len(r.get("instances", [])) for r in managed if _AWS_PROVIDER.match(r.get("provider", "")))
        legacy_files += any(r.get("provider", "").startswith("provider.aws") for r in managed)
        state = read_state_file(path)
        assert len(state.resources) == aws, path
        assert state.other_provider_count == sum(len(r.get("instances", [])) for r in managed) - aws, path
    assert legacy_files >= 30  # the 0.12-era files this guards are really in the corpus


def test_skipped_instances_are_reported_with_count_and_reason(aws_env, tmp_path: Path) -> None:
    from driftdeck.core.scan.run import ScanOptions, run_scan

    source = CORPORA / "tfstate" / "snyk__driftctl" / "test" / "unsupported_provider" / "terraform.tfstate"
    if not source.exists():
        pytest.skip("shared corpus not present")
    (tmp_path / "terraform.tfstate").write_text(source.read_text())  # provider.aws bucket + provider.random string
    report = run_scan(ScanOptions(path=tmp_path, cloudformation="off", reader="native", detect_unmanaged=False))
    assert [r.type for r in report.resources] == ["aws_s3_bucket"]
    assert "1 resource(s) of non-AWS providers are out of scope and were not checked" in report.warnings


@pytest.mark.parametrize(
    "text",
    [
        'terraform {\n  backend "s3" {\n    bucket = "tf-state"\n    key = \n  }\n}\n',
        'terraform {\n  backend "s3" {\n    bucket = "tf-state"\n    key    = "k"\n  \n}\n',
        'terraform {\n  backend "s3" {\n    bucket = "tf-state\n    key = "k"\n  }\n}\n',
    ],
)
def test_malformed_backend_block_fails_as_the_evaluator_does(tmp_path: Path, text: str) -> None:
    """Backends are read by the evaluator's parser: one line, same words, same file:line."""
    (tmp_path / "backend.tf").write_text(text)
    with pytest.raises(InputError) as backend:
        find_s3_backends(tmp_path)
    with pytest.raises(InputError) as evaluator:
        load_configuration(tmp_path)
    assert (backend.value.detail, backend.value.line) == (evaluator.value.detail, evaluator.value.line)
    assert backend.value.line is not None and backend.value.file == str(tmp_path / "backend.tf")
    assert str(backend.value) == f"{tmp_path / 'backend.tf'}:{evaluator.value.line}: {evaluator.value.detail}"
    assert "\n" not in str(backend.value)


def test_backend_values_must_be_literals(tmp_path: Path) -> None:
    """A reference or interpolation in bucket/key (Terraform refuses them too) names the block's line."""
    (tmp_path / "backend.tf").write_text(
        'variable "env" {}\n\nterraform {\n  backend "s3" {\n    bucket = "state-${var.env}"\n    key = "k"\n  }\n}\n'
    )
    with pytest.raises(InputError, match="needs literal `bucket` and `key`") as info:
        find_s3_backends(tmp_path)
    assert (info.value.file, info.value.line) == (str(tmp_path / "backend.tf"), 4)
    (tmp_path / "backend.tf").write_text(
        'terraform {\n  backend "s3" {\n    bucket = "state"\n    key = "a/b"\n    endpoints = { s3 = "http://localhost:1" }\n'
        '    use_path_style = true\n    region = "eu-west-1"\n  }\n}\n'
    )
    (backend,) = find_s3_backends(tmp_path)
    assert (backend.bucket, backend.key, backend.endpoint, backend.region, backend.use_path_style) == (
        "state", "a/b", "http://localhost:1", "eu-west-1", True
    )
