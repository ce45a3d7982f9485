"""HCL identifiers may be Unicode (ID_Start, then ID_Continue or '-'): a valid configuration that
names a local `π` loads and evaluates instead of the whole directory being refused."""

from __future__ import annotations

from pathlib import Path

from hcl_helpers import write_tree

from driftdeck.core.inputs.hcl.loader import load_configuration


def test_unicode_identifiers_load_and_evaluate(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DRIFTDECK_CACHE_DIR", str(tmp_path / "cache"))
    workspace = write_tree(tmp_path / "ws", {"main.tf": """
        locals {
          π = 3.14159265359
          größe = "groß"
        }
        resource "aws_sqs_queue" "q" {
          name = "q-${local.größe}"
          delay_seconds = floor(local.π * 2)
        }
    """})
    config = load_configuration(workspace, env={})
    assert config.instances["aws_sqs_queue.q"].attributes == {"name": "q-groß", "delay_seconds": 6}
