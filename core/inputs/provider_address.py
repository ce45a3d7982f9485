"""Provider addresses as Terraform writes them into state files.

Every resource in a v4 state names the provider configuration that manages it, and Terraform has
spelled that string differently over the years: 0.13+ writes `provider["<host>/<ns>/<type>"]`
(optionally `.alias`), 0.12 wrote the legacy `provider.<type>`, and older states prefix either with
the module path. To talk to the right provider plugin we need the fully qualified source behind
all of these, so this module turns each spelling into one `ProviderAddress`.

The rules follow Terraform's own parser (`addrs.ParseAbsProviderConfig` and the registry address
rules of terraform-registry-address): anything Terraform itself would reject gives None here, so a
corrupted or hand-edited state cannot smuggle an odd path segment into a plugin lookup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_HOSTNAME = "registry.terraform.io"
DEFAULT_NAMESPACE = "hashicorp"
# Terraform 0.13 wrote "-" for providers whose namespace it had not looked up yet (upgraded
# 0.12 states); the public registry owns that mapping, so "-" is only valid on its hostname.
LEGACY_NAMESPACE = "-"
BUILTIN_HOSTNAME = "terraform.io"
BUILTIN_NAMESPACE = "builtin"

# Module names, aliases and legacy type names are HCL identifiers.
_IDENTIFIER = r"[A-Za-z_][A-Za-z0-9_-]*"
# Provider configurations belong to modules, not module instances, so no `[key]` is allowed here.
_MODULE_PATH = rf"(?:module\.{_IDENTIFIER}\.)*"
# The quoted source may not contain escapes: no valid provider source needs one.
_FQN_FORM = re.compile(rf'{_MODULE_PATH}provider\["(?P<source>[^"\\]*)"\](?:\.(?P<alias>{_IDENTIFIER}))?')
_LEGACY_FORM = re.compile(rf"{_MODULE_PATH}provider\.(?P<type>{_IDENTIFIER})(?:\.(?P<alias>{_IDENTIFIER}))?")
# Namespace and type: the registry's rule (up to 64 characters, letters, digits, dashes and
# underscores, starting and ending with a letter or digit), compared case-insensitively.
_NAME_PART = re.compile(r"[0-9a-z](?:[0-9a-z_-]{0,62}[0-9a-z])?")
_HOST_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


@dataclass(frozen=True)
class ProviderAddress:
    """One provider configuration: which provider (hostname/namespace/type) and which alias."""

    hostname: str
    namespace: str
    type: str
    alias: str | None = None

    @property
    def source(self) -> str:
        """The fully qualified source, e.g. `registry.terraform.io/hashicorp/aws`."""
        return f"{self.hostname}/{self.namespace}/{self.type}"

    @property
    def display(self) -> str:
        """The source as Terraform shows it to people: the default registry host is left out."""
        if self.hostname == DEFAULT_HOSTNAME:
            return f"{self.namespace}/{self.type}"
        return self.source

    @property
    def config_key(self) -> str:
        """What a root module calls this configuration: `aws`, or `aws.west` for an alias."""
        return f"{self.type}.{self.alias}" if self.alias else self.type


def parse_provider_address(value: str) -> ProviderAddress | None:
    """The provider configuration named by a state resource's `provider` string; None if unparseable."""
    if not isinstance(value, str) or not value:
        return None
    match = _FQN_FORM.fullmatch(value)
    if match:
        provider = parse_provider_source(match["source"])
        if provider is None:
            return None
        return ProviderAddress(provider.hostname, provider.namespace, provider.type, match["alias"])
    match = _LEGACY_FORM.fullmatch(value)
    if match:
        type_name = _name_part(match["type"])
        if type_name is None:
            return None
        if type_name == "terraform":
            # Terraform maps the legacy name of its built-in provider (terraform_remote_state)
            # to terraform.io/builtin/terraform rather than to a registry provider.
            return ProviderAddress(BUILTIN_HOSTNAME, BUILTIN_NAMESPACE, type_name, match["alias"])
        # Terraform itself records these as legacy ("-") and asks the registry which namespace
        # the name moved to. That answer is hashicorp for the providers driftdeck runs (aws),
        # and we must not depend on the network, so we resolve it here. (A few partner
        # providers moved elsewhere, e.g. flexibleengine; for those the namespace is a guess.)
        return ProviderAddress(DEFAULT_HOSTNAME, DEFAULT_NAMESPACE, type_name, match["alias"])
    return None


def parse_provider_source(value: str) -> ProviderAddress | None:
    """A provider source string (`aws`, `hashicorp/aws` or `host/ns/aws`) as an address; None if invalid.

    Missing parts default as in Terraform: the public registry, and the hashicorp namespace.
    """
    if not isinstance(value, str):
        return None
    parts = value.split("/")
    if not 1 <= len(parts) <= 3:
        return None
    type_name = _name_part(parts[-1])
    # A "terraform-" prefix is redundant and Terraform rejects it (it is usually someone pasting
    # the plugin's repository name, terraform-provider-aws, as the type).
    if type_name is None or type_name.startswith("terraform-"):
        return None
    namespace = DEFAULT_NAMESPACE
    if len(parts) >= 2:
        namespace = LEGACY_NAMESPACE if parts[-2] == LEGACY_NAMESPACE else _name_part(parts[-2]) or ""
        if not namespace:
            return None
    hostname = DEFAULT_HOSTNAME
    if len(parts) == 3:
        hostname = _hostname(parts[0]) or ""
        if not hostname:
            return None
    if namespace == LEGACY_NAMESPACE and hostname != DEFAULT_HOSTNAME:
        return None
    return ProviderAddress(hostname, namespace, type_name)


def is_aws_provider(addr: ProviderAddress) -> bool:
    """Whether the address is the AWS provider (hashicorp/aws or legacy -/aws, from any registry host).

    Any host counts because mirrors of the same provider keep its name (registry.opentofu.org).
    """
    return addr.type == "aws" and addr.namespace in (DEFAULT_NAMESPACE, LEGACY_NAMESPACE)


def _name_part(value: str) -> str | None:
    lowered = value.lower()
    # fullmatch on the lowered text would accept non-ASCII letters that lower() maps into
    # ASCII (the Kelvin sign becomes "k"), so the original must be ASCII too.
    if value.isascii() and _NAME_PART.fullmatch(lowered):
        return lowered
    return None


def _hostname(value: str) -> str | None:
    """The hostname as Terraform compares it (lowercase, Unicode form, no :443), or None."""
    host, colon, port = value.partition(":")
    if colon and not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        return None
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
        if not ascii_host or not all(_HOST_LABEL.fullmatch(label) for label in ascii_host.split(".")):
            return None
        # Terraform keeps internationalized hostnames in their Unicode form (that is also how
        # they appear as directory names in plugin caches and mirrors).
        normalized = ascii_host.encode("ascii").decode("idna") if "xn--" in ascii_host else ascii_host
    except UnicodeError:
        return None
    if colon and int(port) != 443:
        normalized += f":{int(port)}"
    return normalized
