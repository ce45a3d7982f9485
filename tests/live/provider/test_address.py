"""Provider addresses from state files: every form Terraform has written, garbage, and the real corpus."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st
from repo_paths import CORPORA

from driftdeck.core.inputs.provider_address import (
    ProviderAddress,
    is_aws_provider,
    parse_provider_address,
    parse_provider_source,
)

AWS = ProviderAddress("registry.terraform.io", "hashicorp", "aws")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('provider["registry.terraform.io/hashicorp/aws"]', AWS),
        ('provider["registry.terraform.io/hashicorp/aws"].west', ProviderAddress("registry.terraform.io", "hashicorp", "aws", "west")),
        ("provider.aws", AWS),
        ("provider.aws.west", ProviderAddress("registry.terraform.io", "hashicorp", "aws", "west")),
        ("module.foo.provider.aws", AWS),
        ('module.foo.provider["registry.terraform.io/hashicorp/aws"]', AWS),
        ('module.a.module.b-2.provider["registry.terraform.io/hashicorp/aws"].east', ProviderAddress("registry.terraform.io", "hashicorp", "aws", "east")),
        ('provider["registry.opentofu.org/hashicorp/aws"]', ProviderAddress("registry.opentofu.org", "hashicorp", "aws")),
        ('provider["example.com/ns/aws"]', ProviderAddress("example.com", "ns", "aws")),
        ('provider["registry.terraform.io/-/aws"]', ProviderAddress("registry.terraform.io", "-", "aws")),
        ('provider["-/aws"]', ProviderAddress("registry.terraform.io", "-", "aws")),
        ('provider["hashicorp/aws"]', AWS),
        ('provider["aws"]', AWS),
        ('provider["registry.terraform.io/hashicorp/google-beta"]', ProviderAddress("registry.terraform.io", "hashicorp", "google-beta")),
        ('provider["terraform.io/builtin/terraform"]', ProviderAddress("terraform.io", "builtin", "terraform")),
        ("provider.terraform", ProviderAddress("terraform.io", "builtin", "terraform")),
    ],
)
def test_every_form_terraform_writes(text: str, expected: ProviderAddress) -> None:
    """0.13+ FQN form, 0.12 legacy form, module prefixes, other hosts, legacy namespace, short sources."""
    assert parse_provider_address(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('provider["Registry.Terraform.IO/HashiCorp/AWS"]', AWS),
        ('provider["registry.terraform.io:443/hashicorp/aws"]', AWS),
        ('provider["tf.example.com:8443/acme/aws"]', ProviderAddress("tf.example.com:8443", "acme", "aws")),
        ('provider["xn--bcher-kva.example/ns/aws"]', ProviderAddress("bücher.example", "ns", "aws")),
    ],
)
def test_addresses_normalize_as_terraform_compares_them(text: str, expected: ProviderAddress) -> None:
    """Case-insensitive parts, the default :443 dropped, internationalized hosts in Unicode form."""
    assert parse_provider_address(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "aws",
        "provider",
        "provider.",
        "provider[]",
        'provider[""]',
        'provider["registry.terraform.io/hashicorp/aws"',
        'provider["registry.terraform.io/hashicorp/aws"].',
        'provider["registry.terraform.io/hashicorp/aws"].west.extra',
        'provider["registry.terraform.io/hashicorp/aws"]["x"]',
        'provider["registry.terraform.io/hashicorp/aws"]x',
        'provider["a/b/c/d"]',
        'provider["registry.terraform.io//aws"]',
        'provider["registry..io/hashicorp/aws"]',
        'provider["bad host/hashicorp/aws"]',
        'provider["example.com:http/hashicorp/aws"]',
        'provider["example.com/-/aws"]',
        'provider["hashicorp/terraform-provider-aws"]',
        'provider["hashicorp/aws_"]',
        'provider["hashicorp/a.b"]',
        'provider["hashicorp/\\u0061ws"]',
        "provider['registry.terraform.io/hashicorp/aws']",
        "provider.aws[0]",
        "provider.1aws",
        "provider.aws.west.east",
        "module.foo[0].provider.aws",
        'module.foo["k"].provider["registry.terraform.io/hashicorp/aws"]',
        "module..provider.aws",
        "module.provider.aws",
        " provider.aws",
        "provider.aws\n",
        "data.aws_region.current",
        'provider["registry.terraform.io/hashicorp/\u212aubernetes"]',
    ],
)
def test_garbage_is_none(text: str) -> None:
    """Whatever Terraform would reject is None, not a guess."""
    assert parse_provider_address(text) is None


@pytest.mark.parametrize("value", [None, 42, b"provider.aws", ["provider.aws"]])
def test_non_strings_are_none(value: object) -> None:
    """A state with a missing or mistyped `provider` field does not raise."""
    assert parse_provider_address(value) is None  # type: ignore[arg-type]


@given(st.text(max_size=80))
def test_never_raises(text: str) -> None:
    """Arbitrary text parses or gives None."""
    result = parse_provider_address(text)
    assert result is None or isinstance(result, ProviderAddress)


_part = st.from_regex(r"[a-z][a-z0-9]{0,10}", fullmatch=True).filter(lambda s: not s.startswith("terraform"))


@given(host=st.sampled_from(["registry.terraform.io", "registry.opentofu.org", "tf.example.com"]),
       namespace=_part, type_name=_part, alias=st.none() | _part,
       modules=st.lists(_part, max_size=3))
def test_formatted_addresses_round_trip(host: str, namespace: str, type_name: str, alias: str | None,
                                        modules: list[str]) -> None:
    """What Terraform writes for an address parses back to that address."""
    expected = ProviderAddress(host, namespace, type_name, alias)
    text = "".join(f"module.{m}." for m in modules) + f'provider["{expected.source}"]' + (f".{alias}" if alias else "")
    assert parse_provider_address(text) == expected


def test_source_display_and_config_key() -> None:
    """The FQN, the short form people see, and what a root module calls the configuration."""
    west = parse_provider_address('provider["registry.terraform.io/hashicorp/aws"].west')
    assert west is not None
    assert west.source == "registry.terraform.io/hashicorp/aws"
    assert west.display == "hashicorp/aws"
    assert west.config_key == "aws.west"
    assert AWS.config_key == "aws"
    assert ProviderAddress("example.com", "ns", "aws").display == "example.com/ns/aws"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("aws", AWS),
        ("hashicorp/aws", AWS),
        ("registry.terraform.io/hashicorp/aws", AWS),
        ("-/aws", ProviderAddress("registry.terraform.io", "-", "aws")),
        ("", None),
        ("/aws", None),
        ("a/b/c/d", None),
    ],
)
def test_parse_provider_source(text: str, expected: ProviderAddress | None) -> None:
    """Source strings as in required_providers and lock files, with Terraform's defaults."""
    assert parse_provider_source(text) == expected


@pytest.mark.parametrize(
    ("text", "aws"),
    [
        ('provider["registry.terraform.io/hashicorp/aws"]', True),
        ('provider["registry.opentofu.org/hashicorp/aws"].west', True),
        ('provider["registry.terraform.io/-/aws"]', True),
        ("module.foo.provider.aws", True),
        ('provider["example.com/acme/aws"]', False),
        ('provider["registry.terraform.io/hashicorp/awscc"]', False),
        ('provider["registry.terraform.io/hashicorp/google"]', False),
    ],
)
def test_is_aws_provider(text: str, aws: bool) -> None:
    """hashicorp/aws or legacy -/aws from any host; a fork in another namespace is not AWS."""
    addr = parse_provider_address(text)
    assert addr is not None
    assert is_aws_provider(addr) is aws


def test_every_provider_string_in_the_state_corpus_parses() -> None:
    """Every managed resource's `provider` in the real-world states parses, to the resource's own provider."""
    files = [p for p in sorted(CORPORA.joinpath("tfstate").rglob("*")) if p.suffix in (".tfstate", ".json")]
    if not files:
        pytest.skip("shared corpus not present")
    forms: Counter[str] = Counter()
    unparsed: list[str] = []
    for path in files:
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        if not isinstance(state, dict) or state.get("version") != 4:
            continue
        for resource in state.get("resources") or []:
            if resource.get("mode") != "managed":
                continue
            text = resource.get("provider")
            addr = parse_provider_address(text)
            if addr is None:
                unparsed.append(f"{path.name}: {text!r}")
                continue
            # Resource types are named after their provider's type (aws_instance -> aws).
            assert resource["type"].startswith(f"{addr.type}_"), (path.name, text)
            forms[text] += 1
    assert unparsed == []
    assert sum(forms.values()) >= 300
    assert forms["provider.aws"] > 0 and forms['provider["registry.terraform.io/hashicorp/aws"]'] > 0
