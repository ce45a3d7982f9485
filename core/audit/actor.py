"""Who did it: the default actor for events driftdeck itself records."""

from __future__ import annotations

import getpass
import socket
from typing import Any


def default_actor(aws_identity: dict[str, Any] | None = None) -> dict[str, str]:
    """OS user and host, plus the AWS caller identity when given.

    `aws_identity` is the response of STS `get_caller_identity()` (keys `Arn`, `Account`,
    `UserId`); the audit package never calls AWS itself.
    """
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    actor = {"type": "operator", "user": user, "host": socket.gethostname()}
    if aws_identity:
        if aws_identity.get("Arn"):
            actor["aws_arn"] = str(aws_identity["Arn"])
        if aws_identity.get("Account"):
            actor["aws_account"] = str(aws_identity["Account"])
    return actor


def cloud_actor(principal: str, *, actor_type: str = "aws", via: str | None = None) -> dict[str, str]:
    """The actor for a change attributed to a cloud principal (e.g. from CloudTrail)."""
    actor = {"type": "cloud", "principal": principal, "principal_type": actor_type}
    if via:
        actor["via"] = via
    return actor
