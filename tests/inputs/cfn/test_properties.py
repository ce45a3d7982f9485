"""Property tests: the position-keeping JSON reader and the adopt-patch text edits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from driftdeck.core.compare.cloudformation import compare_cfn
from driftdeck.core.inputs.cfn.parse import Node, NodeList, parse_json
from driftdeck.core.inputs.cfn.template import parse_template
from driftdeck.core.model import DesiredResource, SourceRef
from driftdeck.core.remediation.cloudformation_text import patched_text

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.text(max_size=8),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=20
)


def _check_spans(text: str, value: Any) -> None:
    if isinstance(value, Node):
        for key, item in value.items():
            start, end = value.value_spans[key]
            assert json.loads(text[start:end]) == item
            assert text.count("\n", 0, value.key_spans[key][0]) + 1 == value.key_lines[key]
            _check_spans(text, item)
    elif isinstance(value, NodeList):
        for i, item in enumerate(value):
            start, end = value.item_spans[i]
            assert json.loads(text[start:end]) == item
            _check_spans(text, item)


@settings(max_examples=150, deadline=None)
@given(json_values, st.sampled_from([None, 2]))
def test_json_reader_matches_json_loads_and_spans_hold_each_value(value: Any, indent: int | None) -> None:
    text = json.dumps(value, indent=indent)
    parsed = parse_json(text, "x.json")
    assert parsed == json.loads(text)
    _check_spans(text, parsed)


tag_keys = st.text(alphabet="abcdefgh", min_size=1, max_size=4)
tag_values = st.text(alphabet="xyz 019", max_size=5)
tag_maps = st.dictionaries(tag_keys, tag_values, max_size=4)


def _template_text(tags: dict[str, str], style: str) -> str:
    if style == "json":
        doc = {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": "q", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}}}}
        return json.dumps(doc, indent=2)
    lines = ["Resources:", "  Q:", "    Type: AWS::SQS::Queue", "    Properties:", "      QueueName: q"]
    if style == "flow":
        lines.append("      Tags: [" + ", ".join(f"{{Key: {k}, Value: {json.dumps(v)}}}" for k, v in tags.items()) + "]")
    elif tags:
        lines.append("      Tags:")
        for k, v in tags.items():
            lines += [f"        - Key: {k}", f"          Value: {json.dumps(v)}"]
    return "\n".join(lines) + "\n"


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tag_maps, tag_maps, st.integers(0, 3600), st.sampled_from(["block", "flow", "json"]))
def test_adopt_patch_always_lands_on_the_live_values(
    template_tags: dict[str, str], live_tags: dict[str, str], timeout: int, style: str
) -> None:
    name = "t.json" if style == "json" else "t.yaml"
    template = parse_template(_template_text(template_tags, style), str(Path("/tmp") / name))
    res = template.resources["Q"]

    def desired(props: dict[str, Any]) -> DesiredResource:
        return DesiredResource("cfn:s/Q", "aws_sqs_queue", "u", props, SourceRef(kind="cloudformation"))

    live = {"name": "q", "tags": live_tags, "visibility_timeout_seconds": timeout}
    diffs = compare_cfn(desired(res.properties), live)
    text, notes = patched_text(template, "Q", diffs)
    assert notes == []
    adopted = parse_template(text, template.file)
    assert compare_cfn(desired(adopted.resources["Q"].properties), live) == []
    if style == "json":
        json.loads(text)
