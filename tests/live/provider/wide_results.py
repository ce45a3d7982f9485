"""What the provider tests ask of the wide estate, as one value (built by the `wide_results`
fixture in conftest.py, in the only order that works: clean first, then drifted)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wide_estate import WideEstate

from driftdeck.core.aws import AwsContext
from driftdeck.core.live.provider.session import ProviderSession
from driftdeck.core.model import ScanReport
from driftdeck.core.scan.run import ScanOptions, run_scan

READERS = ("auto", "provider", "native")


@dataclass
class WideResults:
    """The wide estate seen clean and then drifted, by Terraform and by each driftdeck reader."""

    estate: WideEstate
    terraform_clean: list[dict[str, Any]]
    clean: dict[str, ScanReport]
    changes: dict[str, str]
    drifted: dict[str, ScanReport]
    terraform_drifted: list[dict[str, Any]]
    provider_pids: list[set[int | None]] = field(default_factory=list)


def scan_estate(estate: WideEstate, reader: str, session: ProviderSession | None) -> ScanReport:
    options = ScanOptions(path=estate.workdir, reader=reader, providers=session, detect_unmanaged=False)
    return run_scan(options, ctx=AwsContext(session=estate.boto_session()))
