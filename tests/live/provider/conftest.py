"""Fixtures for the provider tests: a provider session against the shared moto server, and the wide
estate (real Terraform against a moto of its own) with everything the tests ask of it, computed
once in the one order that makes sense."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from provider_workspace import provider_cli_config
from wide_estate import WideEstate, build_wide_estate
from wide_results import READERS, WideResults, scan_estate

from driftdeck.core.live.provider.session import ProviderSession


@pytest.fixture(scope="session")
def wide_estate(tf_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[WideEstate]:
    """Built once per session (apply ≈ 95 s, dominated by the provider's RDS waiter); skipped
    where terraform or its provider mirror is absent (`tf_env`). drift_out_of_band() is one-way:
    use `wide_results`, which looks at the clean estate before it drifts it."""
    estate = build_wide_estate(tmp_path_factory.mktemp("wide-estate"), tf_env)
    yield estate
    estate.stop()


@pytest.fixture(scope="session")
def wide_results(wide_estate: WideEstate) -> Iterator[WideResults]:
    with ProviderSession(env=wide_estate.tf_env) as session:
        terraform_clean = wide_estate.terraform_drift()
        clean = {reader: scan_estate(wide_estate, reader, session) for reader in READERS}
        pids = [{p.client.process.pid for p in session.in_use()}]
        changes = wide_estate.drift_out_of_band()
        drifted = {reader: scan_estate(wide_estate, reader, session) for reader in READERS}
        pids.append({p.client.process.pid for p in session.in_use()})
        terraform_drifted = wide_estate.terraform_drift()
        yield WideResults(wide_estate, terraform_clean, clean, changes, drifted, terraform_drifted, pids)


MotoServer = Any  # tests/conftest.py's server: .url, .reset()


@pytest.fixture(scope="session")
def cli_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = provider_cli_config(tmp_path_factory.mktemp("tfrc"))
    if path is None:
        pytest.skip("no Terraform provider mirror on this machine")
    return path


@pytest.fixture()
def provider_env(aws_env: MotoServer, cli_config: Path, monkeypatch: pytest.MonkeyPatch) -> MotoServer:
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(cli_config))
    monkeypatch.delenv("TF_PLUGIN_CACHE_DIR", raising=False)
    return aws_env


@pytest.fixture()
def session() -> Iterator[ProviderSession]:
    with ProviderSession() as s:
        yield s
