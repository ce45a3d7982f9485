"""Parse CloudFormation template text (YAML or JSON) into plain data that remembers where it came from.

Mappings come back as `Node` (a dict) and sequences as `NodeList` (a list); both carry the 1-based
line of every key/item and the character span of every value, so the loader can report `file:line`
for each resource and the adopt direction can patch the original text in place.
Short-form YAML tags become their long form (`!Ref X` -> `{"Ref": "X"}`, `!GetAtt A.B` ->
`{"Fn::GetAtt": ["A", "B"]}`); unknown tags (macros, preprocessors such as `!Rain::Embed`) are kept as
`{"Fn::Name": value}` / `{"Name::X": value}` rather than rejected.
"""

from __future__ import annotations

import bisect
import json
import re
from typing import Any

import yaml

from driftdeck.core.errors import InputError

Span = tuple[int, int]

# The stdlib's JSON string scanner (exported by json.decoder at runtime, absent from typeshed).
scanstring = json.decoder.scanstring  # type: ignore[attr-defined]


class Node(dict):  # type: ignore[type-arg]
    """A mapping with the line of each key and the text span of each value."""

    def __init__(self) -> None:
        super().__init__()
        self.line = 0
        self.span: Span = (0, 0)
        self.key_lines: dict[str, int] = {}
        self.key_spans: dict[str, Span] = {}
        self.value_spans: dict[str, Span] = {}


class NodeList(list):  # type: ignore[type-arg]
    """A sequence with the line and text span of each item."""

    def __init__(self) -> None:
        super().__init__()
        self.line = 0
        self.span: Span = (0, 0)
        self.item_lines: list[int] = []
        self.item_spans: list[Span] = []


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


# --------------------------------------------------------------------------------------------- YAML

_SHORT_FORMS_SCALAR_REF = {"Ref", "Condition"}


def _tag_key(tag: str) -> str:
    name = tag[1:]
    if name in _SHORT_FORMS_SCALAR_REF:
        return name
    if "::" in name:  # preprocessor directives such as !Rain::Embed keep their own name
        return name
    return f"Fn::{name}"


# libyaml's parser when present (about 5x faster); its marks carry the same character offsets.
_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _TemplateYamlLoader(_BaseLoader):  # type: ignore[misc]
    """SafeLoader that keeps positions, refuses duplicate keys and knows CloudFormation's tags."""

    file = ""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Node:  # type: ignore[override]
        self.flatten_mapping(node)
        out = Node()
        out.line = node.start_mark.line + 1
        out.span = (node.start_mark.index, node.end_mark.index)
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                key = str(key)
            if key in out:
                raise InputError(f"duplicate key {key!r}", file=self.file, line=key_node.start_mark.line + 1)
            out[key] = self.construct_object(value_node, deep=True)
            out.key_lines[key] = key_node.start_mark.line + 1
            out.key_spans[key] = (key_node.start_mark.index, key_node.end_mark.index)
            out.value_spans[key] = (value_node.start_mark.index, value_node.end_mark.index)
        return out

    def construct_sequence(self, node: yaml.SequenceNode, deep: bool = False) -> NodeList:  # type: ignore[override]
        out = NodeList()
        out.line = node.start_mark.line + 1
        out.span = (node.start_mark.index, node.end_mark.index)
        for child in node.value:
            out.append(self.construct_object(child, deep=True))
            out.item_lines.append(child.start_mark.line + 1)
            out.item_spans.append((child.start_mark.index, child.end_mark.index))
        return out

    def construct_cfn_tag(self, tag_suffix: str, node: yaml.Node) -> Node:
        tag = "!" + tag_suffix
        key = _tag_key(tag)
        value: Any
        if isinstance(node, yaml.ScalarNode):
            value = self.construct_scalar(node)
            if key == "Fn::GetAtt" and isinstance(value, str):
                logical, _, attr = value.partition(".")
                value = [logical, attr]
        elif isinstance(node, yaml.SequenceNode):
            value = self.construct_sequence(node)
        else:
            value = self.construct_mapping(node)  # type: ignore[arg-type]
        out = Node()
        out.line = node.start_mark.line + 1
        out.span = (node.start_mark.index, node.end_mark.index)
        out[key] = value
        out.key_lines[key] = out.line
        out.key_spans[key] = out.span
        out.value_spans[key] = out.span
        return out


# Dates stay strings (`AWSTemplateFormatVersion: 2010-09-09` unquoted is common).
_TemplateYamlLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node)  # type: ignore[arg-type]
)
_TemplateYamlLoader.add_constructor("tag:yaml.org,2002:map", _TemplateYamlLoader.construct_mapping)  # type: ignore[arg-type]
_TemplateYamlLoader.add_constructor("tag:yaml.org,2002:seq", _TemplateYamlLoader.construct_sequence)  # type: ignore[arg-type]
_TemplateYamlLoader.add_multi_constructor("!", _TemplateYamlLoader.construct_cfn_tag)  # type: ignore[arg-type]


def parse_yaml(text: str, file: str) -> Any:
    loader = _TemplateYamlLoader(text)
    loader.file = file
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise InputError(f"invalid YAML: {exc.problem or exc.context}", file=file, line=line) from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", file=file) from None
    finally:
        loader.dispose()


# --------------------------------------------------------------------------------------------- JSON

_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?")


class _JsonPositions:
    """A small recursive-descent JSON reader that records positions (json.loads checks validity first)."""

    def __init__(self, text: str, file: str) -> None:
        self.s = text
        self.file = file
        self._newlines = [i for i, ch in enumerate(text) if ch == "\n"]

    def line(self, offset: int) -> int:
        return bisect.bisect_left(self._newlines, offset) + 1

    def skip(self, i: int) -> int:
        m = _WS.match(self.s, i)
        return m.end() if m else i

    def value(self, i: int) -> tuple[Any, int]:
        i = self.skip(i)
        c = self.s[i]
        if c == "{":
            return self.obj(i)
        if c == "[":
            return self.arr(i)
        if c == '"':
            return scanstring(self.s, i + 1)
        for literal, val in (("true", True), ("false", False), ("null", None)):
            if self.s.startswith(literal, i):
                return val, i + len(literal)
        m = _NUMBER.match(self.s, i)
        assert m is not None  # json.loads already accepted the document
        if m.group(1) or m.group(2):
            return float(m.group(0)), m.end()
        return int(m.group(0)), m.end()

    def obj(self, start: int) -> tuple[Node, int]:
        out = Node()
        out.line = self.line(start)
        i = self.skip(start + 1)
        if self.s[i] == "}":
            out.span = (start, i + 1)
            return out, i + 1
        while True:
            i = self.skip(i)
            key_start = i
            key, i = scanstring(self.s, i + 1)
            key_end = i
            i = self.skip(i) + 1  # ':'
            value_start = self.skip(i)
            if key in out:
                raise InputError(f"duplicate key {key!r}", file=self.file, line=self.line(key_start))
            value, i = self.value(value_start)
            out[key] = value
            out.key_lines[key] = self.line(key_start)
            out.key_spans[key] = (key_start, key_end)
            out.value_spans[key] = (value_start, i)
            i = self.skip(i)
            if self.s[i] == ",":
                i += 1
                continue
            out.span = (start, i + 1)
            return out, i + 1

    def arr(self, start: int) -> tuple[NodeList, int]:
        out = NodeList()
        out.line = self.line(start)
        i = self.skip(start + 1)
        if self.s[i] == "]":
            out.span = (start, i + 1)
            return out, i + 1
        while True:
            item_start = self.skip(i)
            item, i = self.value(item_start)
            out.append(item)
            out.item_lines.append(self.line(item_start))
            out.item_spans.append((item_start, i))
            i = self.skip(i)
            if self.s[i] == ",":
                i += 1
                continue
            out.span = (start, i + 1)
            return out, i + 1


def parse_json(text: str, file: str) -> Any:
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", file=file, line=exc.lineno) from None
    value, _ = _JsonPositions(text, file).value(0)
    return value


def looks_like_json(text: str) -> bool:
    return text.lstrip().startswith("{")


def parse_template_text(text: str, file: str) -> Any:
    """Parse a template document (JSON when it starts with `{`, else YAML)."""
    if file.lower().endswith(".json"):
        return parse_json(text, file)
    if looks_like_json(text):
        try:
            return parse_json(text, file)
        except InputError:
            # Text that is not named .json and starts with "{" may be YAML flow style (comments,
            # trailing commas); YAML is a superset, so try it, keeping the JSON error if both fail.
            try:
                return parse_yaml(text, file)
            except InputError:
                pass
            raise
    return parse_yaml(text, file)
