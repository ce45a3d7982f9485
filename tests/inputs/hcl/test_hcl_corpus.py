"""Real-world robustness: every module directory in the shared Terraform corpus loads and evaluates."""

from __future__ import annotations

from collections import Counter

import pytest
from repo_paths import CORPORA

from driftdeck.core.inputs.hcl import (
    load_configuration,
    locate_resource,
    locate_resources,
    strip_instance_keys,
)
from driftdeck.core.inputs.hcl.locate import locate_block

CORPUS = CORPORA / "terraform"
ROOTS = sorted({p.parent for p in CORPUS.rglob("*.tf")}) if CORPUS.is_dir() else []


@pytest.mark.slow
@pytest.mark.skipif(not ROOTS, reason="terraform corpus not on this machine")
def test_every_corpus_module_loads_and_evaluates() -> None:
    knowledge: Counter[str] = Counter()
    failures = []
    for root in ROOTS:
        try:
            config = load_configuration(root, env={})
        except Exception as exc:  # the point of the test: nothing may escape
            failures.append(f"{root.relative_to(CORPUS)}: {type(exc).__name__}: {exc}")
            continue
        knowledge.update(i.knowledge for i in config.instances.values())
        failures.extend(f"{root.relative_to(CORPUS)}: {d}" for d in config.diagnostics if d.kind == "internal_error")
        # The cheap locator agrees with the evaluator on every instance's file and line.
        located = locate_resources(root)
        for inst in config.instances.values():
            if located.get(strip_instance_keys(inst.address)) != (inst.file, inst.line):
                failures.append(f"{root.relative_to(CORPUS)}: locate_resources disagrees on {inst.address}")
        # ... and so do its one-address view (TUI) and its block view (plans).
        for address in sorted({strip_instance_keys(i.address) for i in config.instances.values()}):
            inst = next(i for i in config.instances.values() if strip_instance_keys(i.address) == address)
            if locate_resource(root, address) != (inst.file, inst.line):
                failures.append(f"{root.relative_to(CORPUS)}: locate_resource disagrees on {address}")
            if inst.mode == "managed" and inst.file.endswith(".tf"):
                block = locate_block(root, address)
                if block is None or (block.path.resolve(), block.line) != ((root / inst.file).resolve(), inst.line):
                    failures.append(f"{root.relative_to(CORPUS)}: locate_block disagrees on {address}")
    assert failures == []
    assert len(ROOTS) > 100
    # Most instances carry some value computed from code; a collapse here means a regression.
    assert knowledge["known"] + knowledge["partial"] > 4 * knowledge["unknown"]


@pytest.mark.skipif(not ROOTS, reason="terraform corpus not on this machine")
def test_corpus_spot_checks() -> None:
    config = load_configuration(CORPUS / "hashicorp__learn-terraform-modules-create", env={})
    bucket = config.instances["module.website_s3_bucket.aws_s3_bucket.s3_bucket"]
    assert bucket.attributes["bucket"] == "robin-test-dec-17-2019"
    assert (bucket.file, bucket.line) == ("modules/aws-s3-static-website-bucket/main.tf", 6)
    assert "module.vpc" in config.unevaluated_modules

    config = load_configuration(CORPUS / "hashicorp__learn-terraform-functions", env={})
    sg = config.instances["aws_security_group.sg_8080"].attributes
    assert sg["ingress"][0]["from_port"] == 8080
    assert config.instances["aws_vpc.vpc"].attributes["cidr_block"] == "10.1.0.0/16"
