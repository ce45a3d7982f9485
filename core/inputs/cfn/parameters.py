"""Read parameter values from the files people keep next to their templates."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from driftdeck.core.errors import InputError
from driftdeck.core.inputs.cfn.parse import Node, NodeList, parse_template_text

_SHORTHAND = re.compile(r"^\s*ParameterKey=([^,]+),\s*ParameterValue=(.*)$")
_KEY_VALUE = re.compile(r"^\s*([A-Za-z0-9]+)=(.*)$")


def load_parameters_file(path: str | Path) -> dict[str, Any]:
    """Parameter values from a file in any common format.

    - the CLI's `[{"ParameterKey": "X", "ParameterValue": "v"}, ...]` (JSON or YAML);
    - `{"Parameters": {"X": "v"}}` (CodePipeline template configuration) or a plain `{"X": "v"}`;
    - text lines `ParameterKey=X,ParameterValue=v` or `X=v` (`--parameter-overrides` style).
    Entries with `UsePreviousValue` and no value are skipped (they come from the deployed stack).
    """
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"cannot read parameters file: {exc.strerror}", file=file) from None
    stripped = text.lstrip()
    if not stripped:
        return {}
    if not stripped.startswith(("{", "[")) and all(
        _SHORTHAND.match(line) or _KEY_VALUE.match(line) or not line.strip() or line.lstrip().startswith("#")
        for line in text.splitlines()
    ):
        return _parse_lines(text)
    return parameters_from_data(parse_template_text(text, file), file)


def _parse_lines(text: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for line in text.splitlines():
        match = _SHORTHAND.match(line) or _KEY_VALUE.match(line)
        if match:
            out[match.group(1).strip()] = match.group(2).strip()
    return out


def parameters_from_data(data: Any, file: str = "<parameters>") -> dict[str, Any]:
    """Normalise already-parsed parameter data (see `load_parameters_file`)."""
    if isinstance(data, list):
        out: dict[str, Any] = {}
        for index, item in enumerate(data):
            line = data.item_lines[index] if isinstance(data, NodeList) else None
            if not isinstance(item, dict) or "ParameterKey" not in item:
                raise InputError("expected {\"ParameterKey\": ..., \"ParameterValue\": ...}", file=file, line=line)
            if "ParameterValue" in item:
                out[str(item["ParameterKey"])] = _plain(item["ParameterValue"])
            elif not item.get("UsePreviousValue"):
                raise InputError(f"parameter {item['ParameterKey']!r} has no ParameterValue", file=file, line=line)
        return out
    if isinstance(data, dict):
        if "Parameters" in data and isinstance(data["Parameters"], dict):
            data = data["Parameters"]
        out = {}
        for key, value in data.items():
            if isinstance(value, dict):
                line = data.key_lines.get(key) if isinstance(data, Node) else None
                raise InputError(f"parameter {key!r} must be a string or a list", file=file, line=line)
            out[str(key)] = _plain(value)
        return out
    raise InputError("parameters file must hold a list or a mapping", file=file, line=1)


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value
