"""driftdeck's configuration file (TOML): `.driftdeck/config.toml` in the workspace, else the user's.

Validation is strict (unknown keys and wrong types are errors naming file and line), because a
silently ignored typo in an alerting or auto-remediation rule is worse than a refusal to start.
Secrets never live in this file: webhook signing keys are read from the environment variable the
file names.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from driftdeck.core.errors import InputError

SINK_KINDS = ("webhook", "slack", "command")


@dataclass(frozen=True)
class SinkConfig:
    kind: str
    name: str
    url: str | None = None
    argv: tuple[str, ...] = ()
    secret_env: str | None = None
    timeout_seconds: float = 5.0
    retries: int = 3


@dataclass(frozen=True)
class AutoRemediationRule:
    """Revert matching drift automatically (only through a tested revert)."""

    name: str
    type: str = "*"
    address: str = "*"
    attribute: str = "*"
    actor: str = "*"
    # Tag key -> value pattern the resource must carry (S3 bucket sub-resources: their bucket).
    tags: tuple[tuple[str, str], ...] = ()
    dry_run: bool = False


@dataclass(frozen=True)
class Config:
    path: Path | None = None
    interval_seconds: float = 60.0
    # On SIGTERM, how long an in-flight scan may still finish (and be recorded) before the watch exits.
    stop_grace_seconds: float = 10.0
    sinks: tuple[SinkConfig, ...] = ()
    rate_limit_seconds: float = 300.0
    auto_remediation: tuple[AutoRemediationRule, ...] = ()
    # [scan]: who reads live state ("auto", "native", "provider"; None: the command's default) and
    # extra folders holding provider binaries (as --reader and --provider-dir).
    reader: str | None = None
    provider_dirs: tuple[str, ...] = ()
    # [events]: a live CloudTrail feed ("sqs:QUEUE" or "lookup[:regions]", as --events) and the
    # safety-net full-poll interval while it is on (interval_seconds applies without events).
    events_source: str | None = None
    events_full_poll_seconds: float = 900.0
    raw: dict[str, Any] = field(default_factory=dict)


_TOP_KEYS = {"watch", "alert", "alerting", "auto_remediation", "audit", "cloudformation", "scan", "events"}
_EVENTS_KEYS = {"source", "full_poll_seconds"}
_WATCH_KEYS = {"interval_seconds", "stop_grace_seconds"}
_ALERTING_KEYS = {"rate_limit_seconds"}
_SINK_KEYS = {"kind", "name", "url", "argv", "secret_env", "timeout_seconds", "retries"}
_RULE_KEYS = {"name", "type", "address", "attribute", "actor", "tags", "dry_run"}
_SCAN_KEYS = {"reader", "provider_dirs"}
READERS = ("auto", "native", "provider")


def config_paths(workspace: Path) -> list[Path]:
    """Where configuration is looked for, first match wins."""
    return [workspace / ".driftdeck" / "config.toml", user_config_dir() / "config.toml"]


def user_cache_dir() -> Path:
    """`$DRIFTDECK_CACHE_DIR`, else the platform's user cache dir: provider schemas and logs, grammar tables."""
    env = os.environ.get("DRIFTDECK_CACHE_DIR")
    return Path(env) if env else Path(platformdirs.user_cache_dir("driftdeck"))


def user_config_dir() -> Path:
    """`$DRIFTDECK_CONFIG_DIR`, else the platform's user config dir (the audit key lives there too)."""
    env = os.environ.get("DRIFTDECK_CONFIG_DIR")
    return Path(env) if env else Path(platformdirs.user_config_dir("driftdeck"))


def find_config(workspace: Path) -> Path | None:
    return next((p for p in config_paths(workspace) if p.is_file()), None)


def load_config(workspace: Path, explicit: Path | None = None) -> Config:
    path = explicit or find_config(workspace)
    if path is None:
        return Config()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the configuration: {exc.strerror}", file=str(path)) from None
    return parse_config(data.decode("utf-8", errors="replace"), path)


def parse_config(text: str, path: Path) -> Config:
    """Parse and validate; InputError names the file and line of the first problem."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise InputError(f"invalid TOML: {exc}", file=str(path), line=int(m[1]) if m else None) from None
    where = _Locator(text, str(path))
    for key in doc:
        if key not in _TOP_KEYS:
            where.fail(key, f"unknown section {key!r} (known: {', '.join(sorted(_TOP_KEYS))})")
    watch = _table(doc, "watch", where)
    _known(watch, _WATCH_KEYS, "[watch]", where.within("watch"))
    in_watch = where.within("watch")
    interval = _number(watch, "interval_seconds", 60.0, in_watch)
    if interval < 1:
        in_watch.fail("interval_seconds", "interval_seconds must be at least 1")
    grace = _number(watch, "stop_grace_seconds", 10.0, in_watch)
    if grace < 0:
        in_watch.fail("stop_grace_seconds", "stop_grace_seconds must not be negative")
    alerting = _table(doc, "alerting", where)
    in_alerting = where.within("alerting")
    _known(alerting, _ALERTING_KEYS, "[alerting]", in_alerting)
    rate = _number(alerting, "rate_limit_seconds", 300.0, in_alerting)
    if rate < 0:
        in_alerting.fail("rate_limit_seconds", "rate_limit_seconds must not be negative")
    sinks = tuple(_sink(i, item, where.within("alert", i)) for i, item in enumerate(_array(doc, "alert", where)))
    rules = tuple(_rule(i, item, where.within("auto_remediation", i))
                  for i, item in enumerate(_array(doc, "auto_remediation", where)))
    scan = _table(doc, "scan", where)
    in_scan = where.within("scan")
    _known(scan, _SCAN_KEYS, "[scan]", in_scan)
    reader = _string(scan, "reader", in_scan)
    if reader is not None and reader not in READERS:
        in_scan.fail("reader", f"reader must be one of {', '.join(READERS)}")
    provider_dirs = scan.get("provider_dirs", [])
    if not isinstance(provider_dirs, list) or not all(isinstance(d, str) for d in provider_dirs):
        in_scan.fail("provider_dirs", "provider_dirs must be a list of folder paths")
    events = _table(doc, "events", where)
    in_events = where.within("events")
    _known(events, _EVENTS_KEYS, "[events]", in_events)
    source = _string(events, "source", in_events)
    if source is not None and not (source.startswith("sqs:") and len(source) > 4
                                   or source == "lookup" or source.startswith("lookup:")):
        in_events.fail("source", "source must be \"sqs:QUEUE_NAME_OR_URL\" or \"lookup[:region,...]\"")
    full_poll = _number(events, "full_poll_seconds", 900.0, in_events)
    if full_poll < 1:
        in_events.fail("full_poll_seconds", "full_poll_seconds must be at least 1")
    return Config(path=path, interval_seconds=interval, stop_grace_seconds=grace, sinks=sinks,
                  rate_limit_seconds=rate, auto_remediation=rules, reader=reader,
                  provider_dirs=tuple(provider_dirs), events_source=source, events_full_poll_seconds=full_poll,
                  raw=doc)


_URL_VALUE = re.compile(r"""(?m)^([-+ ]?\s*url\s*=\s*)(["'])([a-zA-Z][a-zA-Z0-9+.-]*://[^/"'\s]*)([^"']*)(["'])""")


def redact_urls(text: str) -> str:
    """The configuration text with every `url = "..."` cut to scheme and host: a Slack incoming
    webhook URL is itself a credential, and evidence copies of this file must not carry it."""
    def cut(m: re.Match[str]) -> str:
        scheme, _, authority = m[3].partition("://")
        host = authority.rpartition("@")[2]  # user:password@ never survives
        if not m[4] and host == authority:
            return m[0]
        return f"{m[1]}{m[2]}{scheme}://{host}/(redacted){m[5]}"

    return _URL_VALUE.sub(cut, text)


class _Locator:
    """Finds the line of a key so that validation errors point at it (tomllib keeps no positions)."""

    def __init__(self, text: str, file: str, start: int = 0, end: int | None = None) -> None:
        self.lines = text.splitlines()
        self.file = file
        self.start = start  # 0-based line range searched first: the table being validated
        self.end = len(self.lines) if end is None else end

    def within(self, section: str, index: int = 0) -> _Locator:
        """A locator that searches the `index`-th `[section]` / `[[section]]` table first."""
        header = re.compile(rf"^\s*\[\[?\s*{re.escape(section)}\s*\]\]?\s*(#.*)?$")
        starts = [n for n, line in enumerate(self.lines) if header.match(line)]
        if index >= len(starts):
            return self
        begin = starts[index]
        stop = next((n for n in range(begin + 1, len(self.lines)) if re.match(r"^\s*\[", self.lines[n])), len(self.lines))
        scoped = _Locator("", self.file, begin, stop)
        scoped.lines = self.lines
        return scoped

    def line_of(self, key: str) -> int | None:
        pattern = re.compile(rf"^\s*(\[\[?)?\s*{re.escape(key)}\s*(\]|=|\.)")
        for n in range(self.start, self.end):
            if pattern.match(self.lines[n]):
                return n + 1
        if self.start or self.end != len(self.lines):
            return self.start + 1  # the key is not spelled out in the table (a default): point at its header
        return next((n for n, line in enumerate(self.lines, 1) if pattern.match(line)), None)

    def fail(self, key: str, message: str) -> None:
        raise InputError(message, file=self.file, line=self.line_of(key))


def _table(doc: dict[str, Any], key: str, where: _Locator) -> dict[str, Any]:
    value = doc.get(key, {})
    if not isinstance(value, dict):
        where.fail(key, f"{key} must be a table")
    return value  # type: ignore[no-any-return]


def _known(table: dict[str, Any], known: set[str], where_name: str, where: _Locator) -> None:
    for key in table:
        if key not in known:
            where.fail(key, f"{where_name}: unknown key {key!r} (known: {', '.join(sorted(known))})")


def _array(doc: dict[str, Any], key: str, where: _Locator) -> list[dict[str, Any]]:
    value = doc.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        where.fail(key, f"{key} must be an array of tables ([[{key}]])")
    return value  # type: ignore[no-any-return]


def _number(table: dict[str, Any], key: str, default: float, where: _Locator) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        where.fail(key, f"{key} must be a number")
    return float(value)


def _string(table: dict[str, Any], key: str, where: _Locator, default: str | None = None) -> str | None:
    value = table.get(key, default)
    if value is not None and not isinstance(value, str):
        where.fail(key, f"{key} must be a string")
    return value


def _sink(index: int, item: dict[str, Any], where: _Locator) -> SinkConfig:
    for key in item:
        if key not in _SINK_KEYS:
            where.fail(key, f"[[alert]] #{index + 1}: unknown key {key!r}")
    kind = _string(item, "kind", where)
    if kind not in SINK_KINDS:
        where.fail("kind", f"[[alert]] #{index + 1}: kind must be one of {', '.join(SINK_KINDS)}")
    url = _string(item, "url", where)
    argv = item.get("argv", [])
    if kind in ("webhook", "slack") and not (url and url.startswith(("http://", "https://"))):
        where.fail("url" if url else "kind", f"[[alert]] #{index + 1}: {kind} needs an http(s) url")
    if kind == "command" and (not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv)):
        where.fail("argv" if "argv" in item else "kind", f"[[alert]] #{index + 1}: command needs argv = [\"program\", ...]")
    retries = item.get("retries", 3)
    if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= 10:
        where.fail("retries", "retries must be an integer from 0 to 10")
    return SinkConfig(
        kind=str(kind),
        name=_string(item, "name", where) or f"{kind}-{index + 1}",
        url=url,
        argv=tuple(argv) if isinstance(argv, list) else (),
        secret_env=_string(item, "secret_env", where),
        timeout_seconds=_timeout(item, where),
        retries=retries,
    )


def _timeout(item: dict[str, Any], where: _Locator) -> float:
    value = _number(item, "timeout_seconds", 5.0, where)
    if not 0 < value <= 300:
        where.fail("timeout_seconds", "timeout_seconds must be more than 0 and at most 300")
    return value


def _rule(index: int, item: dict[str, Any], where: _Locator) -> AutoRemediationRule:
    for key in item:
        if key not in _RULE_KEYS:
            where.fail(key, f"[[auto_remediation]] #{index + 1}: unknown key {key!r}")
    name = _string(item, "name", where)
    if not name:
        where.fail("auto_remediation", f"[[auto_remediation]] #{index + 1}: a rule needs a name")
    dry_run = item.get("dry_run", False)
    if not isinstance(dry_run, bool):
        where.fail("dry_run", "dry_run must be true or false")
    tags = item.get("tags", {})
    if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
        where.fail("tags", 'tags must be a table of strings, e.g. tags = { data = "restricted" }')
    return AutoRemediationRule(
        tags=tuple(sorted(tags.items())),
        name=str(name),
        type=_string(item, "type", where, "*") or "*",
        address=_string(item, "address", where, "*") or "*",
        attribute=_string(item, "attribute", where, "*") or "*",
        actor=_string(item, "actor", where, "*") or "*",
        dry_run=dry_run,
    )
