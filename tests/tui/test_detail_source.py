"""The detail pane names the declaring block even when the engine had no position for it."""

from __future__ import annotations

from pathlib import Path

from driftdeck.core.model import ResourceResult, SourceRef, Status
from driftdeck.tui.widgets.detail import DetailPane


def test_position_falls_back_to_the_block_in_a_local_module(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('module "queues" {\n  source = "./modules/queues"\n}\n')
    (tmp_path / "modules" / "queues").mkdir(parents=True)
    (tmp_path / "modules" / "queues" / "main.tf").write_text('# jobs\n\nresource "aws_sqs_queue" "jobs" {\n  name = "jobs"\n}\n')
    pane = DetailPane(tmp_path)
    result = ResourceResult('module.queues.aws_sqs_queue.jobs[0]', "aws_sqs_queue", "u", Status.IN_SYNC,
                            SourceRef(kind="terraform", state="terraform.tfstate"))
    assert pane._source_location(result) == "modules/queues/main.tf:3"
    given = ResourceResult("aws_sqs_queue.x", "aws_sqs_queue", "u", Status.IN_SYNC,
                           SourceRef(kind="terraform", file=str(tmp_path / "main.tf"), line=7))
    assert pane._source_location(given) == "main.tf:7"
