"""Helpers for the EC2/IAM collector tests: the terraform fixture and reading its results. The
session, state, terraform and fault-proxy helpers are shared (tests/aws_test_support.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from aws_test_support import (  # noqa: F401 - re-exported for this area's tests
    REGION,
    FaultProxy,
    ec2_error,
    operation,
    query_error,
    session_for,
    terraform,
    write_state,
)
from repo_paths import FIXTURES

FIXTURE = FIXTURES / "terraform" / "ec2_iam"


def apply_fixture(workdir: Path, env: dict[str, str], endpoint: str) -> tuple[Path, Path]:
    """init + apply + `apply -refresh-only` of the fixture config in `workdir`.

    Returns (state straight after apply, state after the settling refresh), each copied alone into
    its own directory beside `workdir` so that a scan of it sees that state and nothing else.
    """
    shutil.copy(FIXTURE / "main.tf", workdir / "main.tf")
    env = {**env, "TF_VAR_endpoint": endpoint}
    terraform(workdir, env, "init")
    terraform(workdir, env, "apply", "-auto-approve")
    raw = workdir.parent / "raw"
    raw.mkdir()
    shutil.copy(workdir / "terraform.tfstate", raw / "terraform.tfstate")
    terraform(workdir, env, "apply", "-refresh-only", "-auto-approve")
    settled = workdir.parent / "settled"
    settled.mkdir()
    shutil.copy(workdir / "terraform.tfstate", settled / "terraform.tfstate")
    return raw / "terraform.tfstate", settled / "terraform.tfstate"


def terraform_drift(workdir: Path, env: dict[str, str], endpoint: str) -> list[dict[str, Any]]:
    """`resource_drift` of a refresh-only plan (the state file is left untouched)."""
    env = {**env, "TF_VAR_endpoint": endpoint}
    terraform(workdir, env, "plan", "-refresh-only", "-out=drift.tfplan")
    shown = json.loads(terraform(workdir, env, "show", "-json", "drift.tfplan"))
    return list(shown.get("resource_drift") or [])


def state_ids(state_file: Path) -> dict[str, str]:
    """address -> id (and `address.attr` for a few attributes the tests need)."""
    doc = json.loads(state_file.read_text())
    out: dict[str, str] = {}
    for res in doc["resources"]:
        if res["mode"] != "managed":
            continue
        address = f"{res['type']}.{res['name']}"
        attrs = res["instances"][0]["attributes"]
        out[address] = attrs["id"]
        for extra in ("arn", "name", "role", "policy_arn"):
            if extra in attrs:
                out[f"{address}.{extra}"] = attrs[extra]
    return out
