"""Finding the real AWS provider for the protocol tests (a plain helper: tests/live/provider/conftest.py
belongs to the wide-estate fixtures). Test modules wrap `find_aws_provider` in a session fixture:

    @pytest.fixture(scope="session")
    def aws_provider_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
        return require_aws_provider(tmp_path_factory)
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from repo_paths import SHARED

from driftdeck.core.live.provider.executable import ProviderNotFound, find_provider_binary

AWS_SOURCE = "registry.terraform.io/hashicorp/aws"

_found: dict[str, Path | None] = {}


def find_aws_provider(config_dir: Path) -> Path | None:
    """The AWS provider executable in this machine's filesystem mirror (configured the way
    tests/conftest.py's `terraform_env` does, through `terraformrc.sh`), or None when absent.
    Remembered per test session: the mirror search walks the file system."""
    if "aws" in _found:
        return _found["aws"]
    found: Path | None = None
    script = SHARED / "terraform" / "terraformrc.sh"
    if script.is_file():
        proc = subprocess.run(["sh", str(script)], capture_output=True, text=True, timeout=120)
        if proc.returncode == 0:
            config_dir.mkdir(parents=True, exist_ok=True)
            rc = config_dir / "terraformrc"
            rc.write_text(proc.stdout)
            env = {**os.environ, "TF_CLI_CONFIG_FILE": str(rc)}
            try:
                binary = find_provider_binary(AWS_SOURCE, None, env=env)
            except ProviderNotFound:
                binary = None
            if binary is not None and os.access(binary.path, os.X_OK):
                found = binary.path
    _found["aws"] = found
    return found


def require_aws_provider(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The AWS provider executable, or skip the requesting test when this machine has none."""
    found = find_aws_provider(tmp_path_factory.mktemp("aws-provider-rc"))
    if found is None:
        pytest.skip("the hashicorp/aws provider is not in a filesystem mirror on this machine")
    return found
