"""The audit subject of a resource: the one place that decides which keys name it in the log.

Every writer (scan events, attribution evidence, the monitor's alert and remediation events, the
TUI's notes) builds subjects here, so a resource is found under the same keys whoever wrote about it.
The log adds `tool` and `workspace` itself unless the caller names another workspace.
"""

from __future__ import annotations

from driftdeck.core.model import ResourceResult


def resource_subject(address: str | None, *, resource_type: str | None = None, provider_id: str | None = None,
                     workspace: str | None = None) -> dict[str, str]:
    """A subject from its parts; parts that are unknown (an unmanaged object has no address) are left out."""
    parts = {"workspace": workspace, "address": address, "resource_type": resource_type, "provider_id": provider_id}
    return {name: value for name, value in parts.items() if value is not None}


def subject_of(key: str, result: ResourceResult | None = None, *, workspace: str | None = None) -> dict[str, str]:
    """The subject of the resource `key`; just its key as address when there is no verdict (it vanished)."""
    if result is None:
        return resource_subject(key, workspace=workspace)
    return resource_subject(result.address, resource_type=result.type, provider_id=result.id, workspace=workspace)
