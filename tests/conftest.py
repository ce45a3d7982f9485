"""Shared fixtures: a real moto server on 127.0.0.1, talked to over HTTP by boto3."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from repo_paths import CORPORA, REPO, SHARED  # noqa: F401 - re-exported for older imports


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MotoServer:
    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop()

    def reset(self) -> None:
        import urllib.request

        req = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        urllib.request.urlopen(req, timeout=30).read()


@pytest.fixture(autouse=True, scope="session")
def _isolated_user_config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Audit signing keys, keymaps and provider schema caches go to throwaway dirs, never the real user's."""
    # The provider schema cache is shared by the whole session (a warm cache is what users have);
    # tests about a cold cache pass their own folder.
    saved = {key: os.environ.get(key) for key in ("DRIFTDECK_CONFIG_DIR", "DRIFTDECK_CACHE_DIR")}
    os.environ["DRIFTDECK_CONFIG_DIR"] = str(tmp_path_factory.mktemp("user-config"))
    os.environ["DRIFTDECK_CACHE_DIR"] = str(tmp_path_factory.mktemp("user-cache"))
    yield
    for key, old in saved.items():
        if old is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = old


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture()
def aws_env(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> MotoServer:
    """Point boto3's standard configuration chain at the moto server, with a clean account."""
    moto_server.reset()
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.url)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    return moto_server


def terraform_env(tmp_path: Path) -> dict[str, str] | None:
    """Environment for running real terraform against the provider mirror, or None if absent."""
    if shutil.which("terraform") is None:
        return None
    script = SHARED / "terraform" / "terraformrc.sh"
    if not script.exists():
        return None
    proc = subprocess.run(["sh", str(script)], capture_output=True, text=True)
    if proc.returncode != 0:
        return None
    rc = tmp_path / "terraformrc"
    rc.write_text(proc.stdout)
    env = dict(os.environ)
    env["TF_CLI_CONFIG_FILE"] = str(rc)
    env["CHECKPOINT_DISABLE"] = "1"
    env["TF_IN_AUTOMATION"] = "1"
    return env


@pytest.fixture(scope="session")
def tf_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = terraform_env(tmp_path_factory.mktemp("tfrc"))
    if env is None:
        pytest.skip("terraform or its provider mirror is not on this machine")
    return env
