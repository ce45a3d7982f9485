"""Which parts of a resource are secret, and how plans keep them out of every text they produce.

A scan keeps sensitive values out of `ResourceResult.expected`/`live` only at the top level and only
for the paths state names (`tags` is redacted while `tags_all`, holding the same value, is not), and
a sensitive `Difference` still carries its raw values. Plans therefore work out the secret paths
and values themselves: from sensitive differences, from the redaction markers, and from the state
file the resource was read from. Commands show a placeholder where a secret value is needed, and
every rendered plan text is scrubbed of the secret values as a last line of defence.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from driftdeck.core.inputs.tfstate import read_state_file
from driftdeck.core.model import ResourceResult

MARKER = "(sensitive)"
# Shorter values ("true", "1") would scrub ordinary words from the document; they are still never
# put into commands, since commands use placeholders by path.
_MIN_SCRUBBED = 4
# Attributes that mirror each other: a sensitive tag is sensitive in both.
_MIRRORS = {"tags": "tags_all", "tags_all": "tags"}


def placeholder(path: str) -> str:
    """What a command shows instead of a secret value; the operator fills it in."""
    return f"<sensitive: {path} from state>"


@dataclass(frozen=True)
class Sensitivity:
    paths: frozenset[str] = frozenset()  # Terraform paths state marks sensitive (mirrors included)
    whole: frozenset[str] = frozenset()  # top-level attributes redacted without knowing which part is secret
    values: frozenset[str] = frozenset()  # secret strings, to scrub from rendered text
    # The raw state attributes (secrets included) when the state file was read: for boto3 calls only.
    state_attributes: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def covers(self, path: str) -> bool:
        """True when `path` is, or lies inside, a sensitive attribute."""
        return _top(path) in self.whole or any(_within(path, p) for p in self.paths)

    def __bool__(self) -> bool:
        return bool(self.paths or self.whole or self.values)


def _top(path: str) -> str:
    return path.split(".", 1)[0].split("[", 1)[0]


def _within(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + ".") or path.startswith(prefix + "[")


def sensitivity_of(result: ResourceResult) -> Sensitivity:
    """Everything about `result` that must never be printed."""
    paths: set[str] = {d.path for d in result.differences if d.sensitive}
    values: set[str] = set()
    for d in result.differences:
        if d.sensitive:
            values.update(_strings(d.expected))
            values.update(_strings(d.actual))
    state_attrs, state_paths = _from_state(result)
    paths.update(state_paths)
    paths.update(_mirror(p) for p in list(paths) if _top(p) in _MIRRORS)
    redacted = {k for side in (result.expected, result.live) for k, v in (side or {}).items() if v == MARKER}
    known_tops = {_top(p) for p in paths}
    whole = {k for k in redacted if k not in known_tops}
    whole.update(_MIRRORS[k] for k in list(whole) if k in _MIRRORS)
    for attrs in (state_attrs, result.expected, result.live):
        for p in paths:
            values.update(_strings(_lookup(attrs or {}, p)))
        for top in whole:
            values.update(_strings((attrs or {}).get(top)))
    for d in result.differences:
        # a difference above a sensitive path (a whole `tags` map) carries the secret inside it
        if any(_within(p, d.path) and p != d.path for p in paths) or _top(d.path) in whole:
            for p in paths:
                rest = p[len(d.path):].lstrip(".")
                for side in (d.expected, d.actual):
                    if isinstance(side, dict) and rest:
                        values.update(_strings(_lookup(side, rest)))
            if _top(d.path) in whole:
                values.update(_strings(d.expected))
                values.update(_strings(d.actual))
    values.discard(MARKER)
    return Sensitivity(frozenset(paths), frozenset(whole), frozenset(v for v in values if len(v) >= _MIN_SCRUBBED),
                       state_attrs)


def _mirror(path: str) -> str:
    top = _top(path)
    return _MIRRORS[top] + path[len(top):]


def _from_state(result: ResourceResult) -> tuple[dict[str, Any], set[str]]:
    """The raw attributes and sensitive paths state records for `result` (local state files only)."""
    source = result.source
    if source is None or source.kind != "terraform" or not source.state or source.state.startswith("s3://"):
        return {}, set()
    path = Path(source.state)
    try:
        stat = path.stat()
    except OSError:
        return {}, set()
    found = _state_index(str(path.resolve()), stat.st_mtime_ns, stat.st_size).get(result.address or "")
    return (found[0], set(found[1])) if found else ({}, set())


@functools.lru_cache(maxsize=8)
def _state_index(path: str, _mtime_ns: int, _size: int) -> dict[str, tuple[dict[str, Any], frozenset[str]]]:
    """Address -> (attributes, sensitive paths) of one state file; read once per version of the file."""
    try:
        state = read_state_file(Path(path))
    except Exception:  # noqa: BLE001 - without state, the differences and markers still say what is secret
        return {}
    return {res.address: (res.attributes, frozenset(res.sensitive_paths)) for res in state.resources}


def _lookup(attrs: Any, path: str) -> Any:
    """The value at a Terraform path; map keys may hold dots, so the longest matching key wins."""
    current = attrs
    rest = path
    while rest:
        if rest.startswith("["):
            end = rest.find("]")
            if end < 0 or not isinstance(current, list):
                return None
            try:
                current = current[int(rest[1:end])]
            except (ValueError, IndexError):
                return None
            rest = rest[end + 1:].lstrip(".")
            continue
        if not isinstance(current, dict):
            return None
        key = next((k for k in sorted(map(str, current), key=len, reverse=True)
                    if rest == k or rest.startswith(k + ".") or rest.startswith(k + "[")), None)
        if key is None:
            return None
        current = current[key]
        rest = rest[len(key):].lstrip(".")
    return current


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield str(value)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for v in value:
            yield from _strings(v)


def scrub_text(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret value replaced by the redaction marker (longest first)."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        if secret and secret in text:
            text = text.replace(secret, MARKER)
    return text


def scrub(value: Any, secrets: Iterable[str]) -> Any:
    """A JSON-like value with every secret string replaced, keys and values alike."""
    found = frozenset(secrets)
    if not found:
        return value
    if isinstance(value, str):
        return scrub_text(value, found)
    if isinstance(value, dict):
        return {scrub(k, found): scrub(v, found) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(v, found) for v in value]
    return value
