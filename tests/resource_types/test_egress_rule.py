"""The egress-rule type, which three per-type tables used to leave out (ForceNew, revert builders,
tag reverts): with one registry entry per direction it now gets what the ingress rule gets."""

from __future__ import annotations

import pytest

from driftdeck.core.model import ChangeKind, Difference, ResourceResult, Status
from driftdeck.core.remediation.revert import revert_calls
from driftdeck.core.remediation.risks import force_new_paths

RULE = {"security_group_id": "sg-1", "ip_protocol": "tcp", "from_port": 443, "to_port": 443,
        "cidr_ipv4": "10.0.0.0/8", "tags": {"env": "prod"}, "tags_all": {"env": "prod"}}


def _drifted(rtype: str, *differences: Difference) -> ResourceResult:
    return ResourceResult(address=f"{rtype}.r", type=rtype, id="sgr-1", status=Status.CHANGED, source=None,
                          differences=list(differences), expected=dict(RULE), live=dict(RULE), region="eu-west-1")


@pytest.mark.parametrize("direction", ["ingress", "egress"])
def test_a_drifted_rule_is_rewritten_to_its_state_definition(direction: str) -> None:
    result = _drifted(f"aws_vpc_security_group_{direction}_rule", Difference("cidr_ipv4", "10.0.0.0/8", "0.0.0.0/0"))
    (call,) = revert_calls(result).calls
    assert call.operation == "modify_security_group_rules"
    assert call.params["SecurityGroupRules"][0]["SecurityGroupRule"]["CidrIpv4"] == "10.0.0.0/8"


@pytest.mark.parametrize("direction", ["ingress", "egress"])
def test_a_rule_s_tags_are_reverted_with_ec2_tag_calls(direction: str) -> None:
    result = _drifted(f"aws_vpc_security_group_{direction}_rule",
                      Difference("tags.env", "prod", "dev", ChangeKind.UPDATED))
    assert [c.operation for c in revert_calls(result).calls] == ["create_tags"]


@pytest.mark.parametrize("direction", ["ingress", "egress"])
def test_moving_a_rule_to_another_group_replaces_it(direction: str) -> None:
    result = _drifted(f"aws_vpc_security_group_{direction}_rule", Difference("security_group_id", "sg-1", "sg-2"))
    assert force_new_paths(result) == ["security_group_id"]
