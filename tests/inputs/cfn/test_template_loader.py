"""Template loading: short-form tags, positions, parameters, conditions, intrinsics, transforms, errors."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from repo_paths import CORPORA

from driftdeck.core.errors import InputError
from driftdeck.core.inputs.cfn.deploy_time import DeployTimeUnknown
from driftdeck.core.inputs.cfn.parameters import load_parameters_file
from driftdeck.core.inputs.cfn.template import load_template, parse_template
from driftdeck.core.unknown import is_unknown

CFN_CORPUS = CORPORA / "cloudformation"
TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json")

YAML_TEMPLATE = """\
AWSTemplateFormatVersion: 2010-09-09
Parameters:
  Env:
    Type: String
    Default: dev
  Subnets:
    Type: CommaDelimitedList
    Default: "a, b ,c"
  Secret:
    Type: String
    NoEcho: true
    Default: hunter2
  NoDefault:
    Type: String
Mappings:
  Sizes:
    dev: {Count: 1}
    prod: {Count: 3}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  NotProd: !Not [!Condition IsProd]
  Both: !And [!Condition NotProd, !Equals [x, x]]
  Unknowable: !Equals [!Ref NoDefault, y]
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "${AWS::StackName}-${Env}-logs"
      Tags:
        - Key: Env
          Value: !Ref Env
        - Key: Size
          Value: !FindInMap [Sizes, !Ref Env, Count]
        - !If [IsProd, {Key: Prod, Value: "yes"}, !Ref AWS::NoValue]
  Queue:
    Type: AWS::SQS::Queue
    Condition: IsProd
    Properties:
      QueueName: prod-queue
  Topic:
    Type: AWS::SNS::Topic
    Condition: Unknowable
    Properties:
      DisplayName: !Join ["-", [!Select [1, !Ref Subnets], !Select [2, !Split [",", "x,y,z"]]]]
      KmsMasterKeyId: !GetAtt Bucket.Arn
      TopicName: !GetAtt [Bucket, Arn]
      Secretive: !Ref Secret
      Encoded: !Base64 hello
      Cidrs: !Cidr ["10.0.0.0/16", 3, 8]
      Azs: !GetAZs ""
      Imported: !ImportValue shared-vpc-id
      Escaped: !Sub "${!Literal}-${AWS::Region}"
      WithVars: !Sub ["${A}-${B}", {A: one, B: !Ref Env}]
      Account: !Ref AWS::AccountId
      Partition: !Ref AWS::Partition
      Suffix: !Ref AWS::URLSuffix
      Condition2: !If [Both, up, down]
      Custom: !Transform {Name: MyMacro, Parameters: {}}
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_short_form_tags_and_intrinsics_evaluate(tmp_path: Path) -> None:
    path = _write(tmp_path, "app.yaml", YAML_TEMPLATE)
    t = load_template(path, pseudo={"AWS::Region": "eu-west-1", "AWS::StackName": "app"})
    bucket = t.resources["Bucket"]
    assert bucket.properties["BucketName"] == "app-dev-logs"
    assert bucket.properties["Tags"] == [{"Key": "Env", "Value": "dev"}, {"Key": "Size", "Value": 1}]
    assert (bucket.file, bucket.line) == (str(path), 25)
    assert t.resources["Queue"].included is False
    topic = t.resources["Topic"]
    assert topic.included is None  # its condition depends on a parameter with no value
    props = topic.properties
    assert props["DisplayName"] == "b-z"
    assert is_unknown(props["KmsMasterKeyId"]) and is_unknown(props["TopicName"])
    assert props["Encoded"] == base64.b64encode(b"hello").decode()
    assert props["Cidrs"] == ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"]
    assert is_unknown(props["Azs"]) and is_unknown(props["Imported"]) and is_unknown(props["Account"])
    assert props["Escaped"] == "${Literal}-eu-west-1"
    assert props["WithVars"] == "one-dev"
    assert (props["Partition"], props["Suffix"]) == ("aws", "amazonaws.com")
    assert props["Condition2"] == "up"
    assert is_unknown(props["Custom"])
    assert topic.secret_properties == {"Secretive"}
    assert t.conditions == {"IsProd": False, "NotProd": True, "Both": True, "Unknowable": t.conditions["Unknowable"]}
    assert is_unknown(t.conditions["Unknowable"])


def test_parameter_overrides_change_conditions_and_values(tmp_path: Path) -> None:
    path = _write(tmp_path, "app.yaml", YAML_TEMPLATE)
    t = load_template(path, parameters={"Env": "prod", "NoDefault": "y"}, pseudo={"AWS::Region": "us-east-1"})
    assert t.resources["Queue"].included is True
    assert t.resources["Topic"].included is True
    assert {"Key": "Prod", "Value": "yes"} in t.resources["Bucket"].properties["Tags"]
    assert is_unknown(t.resources["Bucket"].properties["BucketName"])  # AWS::StackName not given
    assert t.warnings == []
    t = load_template(path, parameters={"Typo": "x"})
    assert any("'Typo'" in w and "not declared" in w for w in t.warnings)


def test_known_physical_ids_and_context_resolve_refs(tmp_path: Path) -> None:
    path = _write(tmp_path, "app.yaml", YAML_TEMPLATE)
    t = load_template(
        path,
        pseudo={"Region": "us-east-1", "AccountId": "123456789012", "StackName": "app"},
        physical_ids={"Bucket": "app-dev-logs"},
        exports={"shared-vpc-id": "vpc-123"},
        availability_zones=["us-east-1a", "us-east-1b"],
    )
    props = t.resources["Topic"].properties
    assert props["KmsMasterKeyId"] == "arn:aws:s3:::app-dev-logs"
    assert props["Imported"] == "vpc-123"
    assert props["Azs"] == ["us-east-1a", "us-east-1b"]
    assert props["Account"] == "123456789012"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("cli.json", json.dumps([{"ParameterKey": "Env", "ParameterValue": "prod"}])),
        ("pipeline.json", json.dumps({"Parameters": {"Env": "prod"}})),
        ("plain.yaml", "Env: prod\n"),
        ("overrides.txt", "# comment\nEnv=prod\n"),
        ("shorthand.txt", "ParameterKey=Env,ParameterValue=prod\n"),
    ],
)
def test_parameters_files_in_common_formats(tmp_path: Path, name: str, content: str) -> None:
    params = _write(tmp_path, name, content)
    assert load_parameters_file(params) == {"Env": "prod"}
    t = load_template(_write(tmp_path, "app.yaml", YAML_TEMPLATE), parameters=params)
    assert t.resources["Queue"].included is True


def test_bad_parameters_file_names_file_and_line(tmp_path: Path) -> None:
    params = _write(tmp_path, "p.json", '[\n  {"ParameterKey": "Env", "ParameterValue": "x"},\n  {"Oops": 1}\n]\n')
    with pytest.raises(InputError) as err:
        load_parameters_file(params)
    assert (err.value.file, err.value.line) == (str(params), 3)


def test_json_template_keeps_resource_lines(tmp_path: Path) -> None:
    text = json.dumps(
        {"Resources": {"A": {"Type": "AWS::SQS::Queue"}, "B": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Fn::Sub": "${AWS::Region}-t"}}}}},
        indent=2,
    )
    path = _write(tmp_path, "t.json", text)
    t = load_template(path, pseudo={"AWS::Region": "us-west-2"})
    assert t.format == "json"
    lines = text.splitlines()
    assert lines[t.resources["A"].line - 1].strip().startswith('"A"')
    assert lines[t.resources["B"].line - 1].strip().startswith('"B"')
    assert t.resources["B"].properties == {"TopicName": "us-west-2-t"}


def test_transforms_mark_resources_not_evaluated(tmp_path: Path) -> None:
    sam = _write(
        tmp_path,
        "sam.yaml",
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n"
        "    Properties: {Handler: x}\n  Q:\n    Type: AWS::SQS::Queue\n",
    )
    t = load_template(sam)
    assert not t.resources["Fn"].evaluated and "SAM" in (t.resources["Fn"].not_evaluated_reason or "")
    assert t.resources["Q"].evaluated
    macro = _write(tmp_path, "macro.yaml", "Transform: [Count]\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n")
    t = load_template(macro)
    assert not t.resources["Q"].evaluated and "Count" in (t.resources["Q"].not_evaluated_reason or "")
    inline = _write(
        tmp_path,
        "inline.yaml",
        "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      Fn::Transform: {Name: AWS::Include}\n",
    )
    assert not load_template(inline).resources["Q"].evaluated


def test_for_each_expands_under_language_extensions(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "each.yaml",
        "Transform: AWS::LanguageExtensions\nResources:\n  Fn::ForEach::Queues:\n    - Name\n    - [a, b]\n"
        "    - Queue${Name}:\n        Type: AWS::SQS::Queue\n        Properties:\n          QueueName: !Ref Name\n",
    )
    t = load_template(path)
    assert {k: r.properties for k, r in t.resources.items()} == {
        "Queuea": {"QueueName": "a"},
        "Queueb": {"QueueName": "b"},
    }


@pytest.mark.parametrize(
    ("name", "text", "line", "message"),
    [
        ("bad.yaml", "Resources:\n  A:\n    Type: AWS::SQS::Queue\n    Properties: [unclosed\n", 5, "invalid YAML"),
        ("bad.json", '{\n  "Resources": {\n    "A": {"Type": "x",}\n  }\n}\n', 3, "invalid JSON"),
        ("notype.yaml", "Resources:\n  A:\n    Properties: {}\n", 2, "has no Type"),
        ("dup.yaml", "Resources:\n  A:\n    Type: x\n  A:\n    Type: y\n", 4, "duplicate key"),
        ("dup.json", '{"Resources": {\n"A": {"Type": "x"},\n"A": {"Type": "y"}}}', 3, "duplicate key"),
        ("noresources.yaml", "Description: nothing\n", 1, "no Resources"),
        ("scalar.yaml", "just text\n", 1, "mapping"),
        ("props.yaml", "Resources:\n  A:\n    Type: x\n    Properties: [1, 2]\n", 4, "Properties"),
        ("empty.yaml", "\n", 1, "empty"),
    ],
)
def test_malformed_templates_report_file_and_line(tmp_path: Path, name: str, text: str, line: int, message: str) -> None:
    path = _write(tmp_path, name, text)
    with pytest.raises(InputError) as err:
        load_template(path)
    assert err.value.file == str(path)
    assert err.value.line == line
    assert message in str(err.value)
    assert str(err.value).startswith(f"{path}:{line}: ")


def _corpus_templates() -> list[Path]:
    return sorted(p for p in CFN_CORPUS.rglob("*") if p.suffix in TEMPLATE_SUFFIXES)


def test_every_corpus_template_loads() -> None:
    templates = _corpus_templates()
    if not templates:
        pytest.skip("CloudFormation corpus not present")
    resources = 0
    for path in templates:
        t = load_template(path, pseudo={"AWS::Region": "us-east-1"})
        assert t.resources, path
        for r in t.resources.values():
            assert r.line is not None and r.line >= 1, (path, r.logical_id)
        resources += len(t.resources)
    assert len(templates) >= 130 and resources > 800


def test_yaml_and_json_twins_in_corpus_evaluate_alike() -> None:
    base = CFN_CORPUS / "aws-cloudformation-templates"
    pairs = ["SQS/SQSStandardQueue", "SQS/SQSFIFOQueue", "SNS/SNSTopic", "S3/compliant-bucket", "VPC/FindInMapAZs"]
    for stem in pairs:
        y, j = base / f"{stem}.yaml", base / f"{stem}.json"
        if not (y.exists() and j.exists()):
            pytest.skip("corpus twin missing")
        ty = load_template(y, pseudo={"AWS::Region": "us-east-1", "AWS::StackName": "s"})
        tj = load_template(j, pseudo={"AWS::Region": "us-east-1", "AWS::StackName": "s"})
        assert _plain(ty) == _plain(tj), stem


def _plain(t: object) -> object:
    def norm(v: object) -> object:
        if isinstance(v, DeployTimeUnknown):
            return ("unknown", v.reason)
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        if isinstance(v, list):
            return [norm(x) for x in v]
        if isinstance(v, bool):
            return str(v).lower()
        return str(v) if isinstance(v, (int, float)) else v

    return {k: (r.type, norm(r.properties), r.included) for k, r in t.resources.items()}  # type: ignore[attr-defined]


def test_deployed_template_text_parses_without_a_file() -> None:
    t = parse_template('{"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"DelaySeconds": 5}}}}', "stack:app")
    assert t.resources["Q"].properties == {"DelaySeconds": 5}


def test_template_alone_yields_resources_whose_id_it_names(tmp_path: Path) -> None:
    from driftdeck.core.inputs.cfn.desired import desired_resources

    path = _write(
        tmp_path,
        "solo.yaml",
        "Resources:\n  Named:\n    Type: AWS::S3::Bucket\n    Properties: {BucketName: solo-bucket}\n"
        "  Generated:\n    Type: AWS::S3::Bucket\n  Role:\n    Type: AWS::IAM::Role\n"
        "    Properties: {RoleName: solo-role, AssumeRolePolicyDocument: {}}\n"
        "  Queue:\n    Type: AWS::SQS::Queue\n    Properties: {QueueName: q}\n",
    )
    desired = {d.address: d for d in desired_resources(load_template(path))}
    assert set(desired) == {"cfn:solo/Named", "cfn:solo/Role"}
    named = desired["cfn:solo/Named"]
    assert (named.type, named.id, named.source.file, named.source.line) == ("aws_s3_bucket", "solo-bucket", str(path), 2)


def test_yaml_11_booleans_follow_cloudformation(tmp_path: Path) -> None:
    # CloudFormation's YAML is 1.1: an unquoted YES becomes boolean true, and the tag reads "true".
    from driftdeck.core.compare.cloudformation import compare_cfn
    from driftdeck.core.model import DesiredResource, SourceRef

    path = _write(tmp_path, "b.yaml", "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n"
                  "      Tags: [{Key: A, Value: YES}, {Key: B, Value: 'no'}]\n")
    props = load_template(path).resources["Q"].properties
    assert props["Tags"] == [{"Key": "A", "Value": True}, {"Key": "B", "Value": "no"}]
    desired = DesiredResource("cfn:b/Q", "aws_sqs_queue", "u", props, SourceRef(kind="cloudformation"))
    assert compare_cfn(desired, {"tags": {"A": "true", "B": "no"}}) == []
