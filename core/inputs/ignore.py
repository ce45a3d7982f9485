"""`.driftignore`: resource- and field-level ignore rules in driftctl's spirit.

One rule per line, gitignore-like: later rules win, `!` re-includes, `#` starts a comment.

    aws_s3_bucket.*                              # every bucket (type.id or address)
    aws_iam_user.ci-bot.tags.*                   # field level: type.id.path
    module.net.aws_subnet.private["a"].tags      # or address.path
    !aws_s3_bucket.prod-logs                     # ...but never this one
    aws_sqs_queue.* owner=platform expires=2027-01-31

`*` matches any run of characters (dots included); `\\.` is accepted for driftctl compatibility.
`owner=` documents who answers for the rule; after `expires=` (a date, UTC) the rule stops
applying and is reported as expired.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from driftdeck.core.errors import InputError
from driftdeck.core.model import ResourceResult, ScanReport, Status


@dataclass(frozen=True)
class IgnoreRule:
    pattern: str
    negate: bool
    owner: str | None
    expires: date | None
    line: int
    file: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "_regex", re.compile(fnmatch.translate(self.pattern)))

    def matches(self, candidate: str) -> bool:
        return bool(self._regex.match(candidate))  # type: ignore[attr-defined]

    def expired(self, today: date) -> bool:
        return self.expires is not None and today > self.expires

    def describe(self) -> str:
        owner = f" (owner {self.owner})" if self.owner else ""
        return f"{self.file}:{self.line}: {'!' if self.negate else ''}{self.pattern}{owner} expired {self.expires}"


@dataclass
class IgnoreRules:
    rules: list[IgnoreRule]

    @classmethod
    def empty(cls) -> IgnoreRules:
        return cls([])

    def active(self, today: date) -> list[IgnoreRule]:
        return [r for r in self.rules if not r.expired(today)]

    def _decide(self, rules: list[IgnoreRule], candidates: list[str]) -> bool:
        ignored = False
        for rule in rules:
            if any(rule.matches(c) for c in candidates):
                ignored = not rule.negate
        return ignored

    def apply(self, report: ScanReport, today: date | None = None) -> None:
        """Drop ignored resources and differences from `report` in place; note expired rules."""
        today = today or datetime.now(UTC).date()
        report.expired_ignore_rules = [r.describe() for r in self.rules if r.expired(today)]
        rules = self.active(today)
        if not rules:
            return
        kept: list[ResourceResult] = []
        dropped = 0
        for res in report.resources:
            names = _names(res)
            if self._decide(rules, names):
                dropped += 1
                report.ignored.append(res)
                continue
            if res.differences:
                remaining = []
                for diff in res.differences:
                    if self._decide(rules, [f"{n}.{diff.path}" for n in names]):
                        res.ignored_paths.append(diff.path)
                    else:
                        remaining.append(diff)
                res.differences = remaining
                if not remaining and res.status in (Status.CHANGED, Status.PENDING):
                    res.status = Status.IN_SYNC
            kept.append(res)
        report.resources = kept
        if dropped:
            report.warnings.append(f"{dropped} resource(s) ignored by .driftignore")


def _names(res: ResourceResult) -> list[str]:
    names = [f"{res.type}.{res.id}"]
    if res.address:
        names.append(res.address)
    return names


_META = re.compile(r"^(owner|expires)=(\S+)$")


def parse_ignore_rules(text: str, file: str) -> IgnoreRules:
    rules: list[IgnoreRule] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        tokens = line.split()
        pattern, meta = tokens[0], tokens[1:]
        owner: str | None = None
        expires: date | None = None
        for token in meta:
            m = _META.match(token)
            if m is None:
                raise InputError(f"unexpected {token!r}: expected owner=NAME or expires=YYYY-MM-DD", file=file, line=lineno)
            if m[1] == "owner":
                owner = m[2]
            else:
                try:
                    expires = date.fromisoformat(m[2])
                except ValueError:
                    raise InputError(f"expires={m[2]!r} is not a date (YYYY-MM-DD)", file=file, line=lineno) from None
        negate = pattern.startswith("!")
        if negate:
            pattern = pattern[1:]
        if not pattern:
            raise InputError("empty pattern", file=file, line=lineno)
        rules.append(IgnoreRule(pattern.replace("\\.", "."), negate, owner, expires, lineno, file))
    return IgnoreRules(rules)


def load_ignore_rules(path: Path) -> IgnoreRules:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read ignore file: {exc}", file=str(path)) from None
    return parse_ignore_rules(text, str(path))
