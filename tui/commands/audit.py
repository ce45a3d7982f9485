"""`driftdeck audit verify|log|show|export|recover`: the audit trail from the command line."""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from pathlib import Path
from typing import Any

from driftdeck.core.audit import AuditConfig, AuditLog, AuditReader, verify_workspace
from driftdeck.core.audit.anchor import anchor_from_config
from driftdeck.core.audit.bundle import export_bundle, verify_bundle
from driftdeck.core.audit.location import config_dir
from driftdeck.core.audit.log import require_log_dir
from driftdeck.core.audit.signed_note import VerifierKey
from driftdeck.core.audit.verify import VerifyResult, log_key, log_origin
from driftdeck.core.errors import InputError

VERIFY_DESCRIPTION = f"""\
Check the audit log of a workspace: exit 0 verified, 2 tampered, 3 cannot verify.

Where keys and pins live (config dir: $DRIFTDECK_CONFIG_DIR, else {config_dir()}):
  signing key     $DRIFTDECK_AUDIT_KEY, else key_file in <config dir>/audit.toml, else
                  <config dir>/audit-signing-key (0600; created and pinned by the first scan or demo)
  pinned keys     trusted_keys in <config dir>/audit.toml, plus one per line in
                  <config dir>/audit-trusted-keys; --trusted-key adds one for this run.
                  Only pinned keys are trusted, never a key named by the log itself.
  local witness   audit-witness.json beside the signing key (newest signed checkpoint per log)
  anchor          [anchor] in <config dir>/audit.toml (S3 Object Lock, COMPLIANCE)
"""


def register(subparsers: Any) -> None:
    audit = subparsers.add_parser("audit", help="verify and read the tamper-evident audit trail")
    sub = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)

    def workspace_arg(p: argparse.ArgumentParser) -> None:
        # Positional like `driftdeck scan PATH`, or -w for scripts; the positional wins.
        p.add_argument("path", nargs="?", type=Path, help="workspace (default: .)")
        p.add_argument("-w", "--workspace", type=Path, default=Path("."), help="workspace (default: .)")

    p = sub.add_parser("verify", help="check the log; exit 0 verified, 2 tampered, 3 cannot verify",
                       description=VERIFY_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    workspace_arg(p)
    p.add_argument("--json", action="store_true", help="machine-readable report")
    p.add_argument("--hash-only", action="store_true", help="check chain links only (fast)")
    p.add_argument("--bundle", type=Path, help="verify an exported evidence bundle instead, offline")
    p.add_argument("--trusted-key", action="append", default=[], metavar="VKEY",
                   help="also trust this verifier key (name+id+key), e.g. for a bundle")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("log", help="recent events, newest first")
    workspace_arg(p)
    p.add_argument("--kind", action="append", help="only this kind (repeatable)")
    p.add_argument("--resource", help="only events about this address or provider id")
    p.add_argument("--actor", help="only events whose actor mentions this text")
    p.add_argument("--since", help="RFC 3339 time or prefix, e.g. 2026-11-28")
    p.add_argument("--until", help="RFC 3339 time or prefix")
    p.add_argument("-n", "--limit", type=int, default=50)
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(func=cmd_log)

    p = sub.add_parser("show", help="one event in full, with its before/after diff")
    p.add_argument("seq", type=int)
    workspace_arg(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("export", help="write an evidence bundle (entries, blobs, checkpoints, keys)")
    workspace_arg(p)
    p.add_argument("-o", "--output", type=Path, required=True, help="bundle file (.tar.gz)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("recover", help="repair a torn tail after a crash (logged as audit.recovered)")
    workspace_arg(p)
    p.set_defaults(func=cmd_recover)


def _print_result(result: VerifyResult, as_json: bool, remarks: list[str] | None = None) -> int:
    if as_json:
        out = result.to_json()
        if remarks is not None:
            out["bundle"] = remarks
        print(json.dumps(out, indent=2))
        return result.exit_code
    print(f"{result.status.upper()}: {result.log_dir} ({result.entries} entries"
          f"{', hash-only' if result.hash_only else ''})")
    for finding in result.findings:
        print(f"  {finding}")
    for problem in result.problems:
        print(f"  cannot verify: {problem}")
    print(f"  signed through: {result.signed_through} entries")
    if result.anchor is not None:
        print(f"  anchor: {result.anchor}; anchored through: {result.anchored_through}")
        if result.unanchored_from is not None:
            print(f"  unanchored window: seq {result.unanchored_from}..{result.entries - 1} "
                  "(protected by local signatures only)")
    else:
        if result.witness is not None:
            print(f"  local witness: {result.witness}; witnessed through: {result.witnessed_through}")
            print("  no anchor configured: the local witness catches truncation, rollback and re-chained rewrites "
                  "of signed entries on this machine. Undetectable without an anchor: changes by an attacker "
                  "holding both the signing key and the witness file, and (for a verifier without the witness) "
                  "truncation of the newest entries. Configure an [anchor] (S3 Object Lock, COMPLIANCE) in "
                  f"{AuditConfig.load().config_dir / 'audit.toml'}")
        else:
            print("  no anchor configured and no local witness: truncation of the newest entries cannot be detected")
    for note in [*result.notes, *(remarks or [])]:
        print(f"  note: {note}")
    return result.exit_code


def _use_positional_workspace(args: argparse.Namespace) -> None:
    if getattr(args, "path", None) is not None:
        args.workspace = args.path


def cmd_verify(args: argparse.Namespace) -> int:
    """Exit 0 verified, 2 tampered, 3 cannot verify (no log, no key, unreadable configuration)."""
    _use_positional_workspace(args)
    try:
        return _verify(args)
    except InputError as exc:
        print(f"cannot verify: {exc}", file=sys.stderr)
        return 3
    except OSError as exc:  # e.g. a log directory this user cannot read: one line, never a traceback
        print(f"cannot verify: {exc.filename or args.workspace}: {exc.strerror or exc}", file=sys.stderr)
        return 3


def _verify(args: argparse.Namespace) -> int:
    config = AuditConfig.load()
    trusted = config.pinned_keys()
    for text in args.trusted_key:
        try:
            trusted.append(VerifierKey.parse(text))
        except ValueError as exc:
            raise InputError(f"--trusted-key: {exc}") from exc
    if args.bundle is not None:
        result, remarks = verify_bundle(args.bundle, trusted, revoked=config.revoked_ids())
        return _print_result(result, args.json, remarks)
    if args.trusted_key:
        config = AuditConfig(**{**config.__dict__, "trusted_keys": (*config.trusted_keys, *args.trusted_key)})
    result = verify_workspace(args.workspace, config=config, hash_only=args.hash_only)
    code = _print_result(result, args.json)
    if not args.json:
        _print_key_hints(result, config, bool(trusted))
    return code


def _print_key_hints(result: VerifyResult, config: AuditConfig, pinned: bool) -> None:
    """Say where pins live when signatures could not be judged or name an unpinned key."""
    if pinned and not any(f.code == "UNKNOWN_KEY" for f in result.findings):
        return
    named = log_key(Path(result.log_dir))
    if not pinned:
        print("  hint: no key is pinned here, so the log's signatures cannot be checked.")
    else:
        print("  hint: some checkpoints are signed by a key that is not pinned (UNKNOWN_KEY).")
    if named:
        print(f"  the log's genesis names the key {named}")
        print("  if (checked out of band) that is the key you trust, pin it with --trusted-key KEY for one run, or")
    else:
        print("  pin the signing key's public key with --trusted-key KEY for one run, or")
    print(f"  add it as a line to {config.trust_file()} (or trusted_keys in {config.config_dir / 'audit.toml'})")


def _actor_text(actor: dict[str, Any]) -> str:
    if "principal" in actor:
        return str(actor["principal"])
    who = f"{actor.get('user', '?')}@{actor.get('host', '?')}"
    return f"{who} ({actor['aws_arn']})" if actor.get("aws_arn") else who


def cmd_log(args: argparse.Namespace) -> int:
    _use_positional_workspace(args)
    reader = AuditReader.for_workspace(args.workspace)
    for entry in reader.iter_entries(kinds=args.kind, resource=args.resource, actor=args.actor,
                                     since=args.since, until=args.until, limit=args.limit):
        if args.json:
            print(json.dumps(entry.to_json(), sort_keys=True))
            continue
        target = entry.subject.get("address") or entry.subject.get("provider_id") or ""
        print(f"{entry.seq:>8}  {entry.ts}  {entry.kind:<24} {target:<40} {_actor_text(entry.actor)}")
    return 0


def _pretty(value: Any) -> list[str]:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False).splitlines()


def cmd_show(args: argparse.Namespace) -> int:
    _use_positional_workspace(args)
    reader = AuditReader.for_workspace(args.workspace)
    entry = reader.get(args.seq)
    if entry is None:
        raise InputError(f"no readable entry with seq {args.seq}", file=str(reader.log_dir))
    if args.json:
        print(json.dumps(entry.to_json(), indent=2, sort_keys=True, ensure_ascii=False))
        return 0
    print(f"seq {entry.seq}  {entry.ts}  {entry.kind}")
    print(f"hash {entry.hash}\nprev {entry.prev}")
    print(f"actor   {json.dumps(entry.actor, sort_keys=True)}")
    print(f"subject {json.dumps(entry.subject, sort_keys=True)}")
    print("data")
    for line in _pretty(entry.data):
        print(f"  {line}")
    if entry.before is not None or entry.after is not None:
        print("before -> after")
        diff = difflib.unified_diff(_pretty(entry.before), _pretty(entry.after), "before", "after", lineterm="")
        for line in diff:
            print(f"  {line}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    _use_positional_workspace(args)
    config = AuditConfig.load()
    workspace = args.workspace.resolve()
    log_dir = require_log_dir(workspace, config)
    warnings = export_bundle(log_dir, args.output, trusted=config.pinned_keys(),
                             anchor=anchor_from_config(config.anchor, log_origin(log_dir)))
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"wrote {args.output}")
    return 0


def cmd_recover(args: argparse.Namespace) -> int:
    _use_positional_workspace(args)
    config = AuditConfig.load()
    require_log_dir(args.workspace.resolve(), config)
    log = AuditLog.open(args.workspace, config=config)
    try:
        if not log.recovered:
            print("nothing to recover: the log ends cleanly")
        for entry in log.recovered:
            print(f"recovered: seq {entry.seq} audit.recovered {json.dumps(entry.data, sort_keys=True)}")
    finally:
        log.close()
    return 0
