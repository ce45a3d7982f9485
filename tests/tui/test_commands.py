"""`driftdeck [PATH]`, `driftdeck tui` and `driftdeck demo` on the command line (before any screen opens)."""

from __future__ import annotations

from pathlib import Path

import pytest

from driftdeck.core.errors import InputError
from driftdeck.tui.cli import build_parser, main
from driftdeck.tui.keys import load_keymap


def test_bare_path_routes_to_the_tui_and_bad_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere"
    assert main([str(missing)]) == 2
    err = capsys.readouterr().err
    assert "path does not exist" in err and str(missing) in err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["tui", str(empty)]) == 2
    tui_error = capsys.readouterr().err
    assert tui_error == (
        f"driftdeck: error: no Terraform state, configuration or CloudFormation template found under {empty}: "
        'looked for *.tfstate files, .tf files (with or without a backend "s3" block) '
        "and CloudFormation templates matching a deployed stack\n"
    )
    # The same words from a headless scan and a plan of the same folder.
    assert main(["scan", str(empty), "--no-audit"]) == 2
    assert capsys.readouterr().err == tui_error
    assert main(["plan", str(empty)]) == 2
    assert capsys.readouterr().err == tui_error


def test_demo_and_tui_options_parse() -> None:
    args = build_parser().parse_args(["demo", "--read-only", "--step", "1", "--interval", "3"])
    assert args.command == "demo" and args.read_only and args.step == 1 and args.interval == 3
    assert build_parser().parse_args(["demo"]).interval == 4.0
    tui = build_parser().parse_args(["tui", "infra", "--no-watch", "--interval", "0"])
    assert tui.path == "infra" and tui.no_watch and tui.interval == 0


def test_keymap_file(tmp_path: Path) -> None:
    good = tmp_path / "keymap.toml"
    good.write_text('[keys]\nrescan = "ctrl+r"\nquit = "q,ctrl+q"\n')
    assert load_keymap(good) == {"rescan": "ctrl+r", "quit": "q,ctrl+q"}
    bad = tmp_path / "bad.toml"
    bad.write_text("rescan = ctrl+r\n")
    with pytest.raises(InputError) as exc:
        load_keymap(bad)
    assert str(bad) in str(exc.value)
    wrong = tmp_path / "wrong.toml"
    wrong.write_text("rescan = 5\n")
    with pytest.raises(InputError, match="rescan"):
        load_keymap(wrong)


def test_default_keymap_lives_in_the_config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRIFTDECK_CONFIG_DIR", str(tmp_path))
    assert load_keymap(None) == {}
    (tmp_path / "keymap.toml").write_text('pause = "space"\n')
    assert load_keymap(None) == {"pause": "space"}


def test_fail_fast_checks_templates_and_states_without_aws(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "stack.yaml").write_text("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties: [\n")
    assert main(["tui", str(tmp_path)]) == 2
    assert "stack.yaml" in capsys.readouterr().err
    (tmp_path / "stack.yaml").unlink()
    (tmp_path / "terraform.tfstate").write_text('{"version": 4, "resources": [')
    assert main(["tui", str(tmp_path)]) == 2
    assert "terraform.tfstate" in capsys.readouterr().err
