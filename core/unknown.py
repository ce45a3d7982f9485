"""The one "not known yet" value, shared by the HCL evaluator, the provider protocol and templates.

Terraform's "known after apply": a value code alone cannot compute, or that a provider marks
unknown on the wire. It must never be compared against state or live values. `UNKNOWN` is its
single instance; a CloudFormation template's unknowns are a subtype that also says why
(`inputs.cfn.deploy_time.DeployTimeUnknown`). Test with `is_unknown` / `contains_unknown`, which know both.
"""

from __future__ import annotations

from typing import Any


class Unknown:
    """The unknown value (Terraform's "known after apply"); `UNKNOWN` is the one plain instance."""

    _instance: Unknown | None = None
    __slots__ = ()

    def __new__(cls, *args: Any) -> Unknown:
        if cls is not Unknown:  # a subtype (a template's unknown) builds its own instances
            return super().__new__(cls, *args)  # type: ignore[call-arg]
        if Unknown._instance is None:
            Unknown._instance = super().__new__(cls)
        return Unknown._instance

    def __repr__(self) -> str:
        return "(unknown)"

    def __reduce__(self) -> Any:
        return "UNKNOWN"

    def __copy__(self) -> Unknown:
        return self

    def __deepcopy__(self, memo: Any) -> Unknown:
        return self


UNKNOWN = Unknown()


def is_unknown(value: Any) -> bool:
    """True for `UNKNOWN` and for any subtype's unknown (a template's)."""
    return isinstance(value, Unknown)


def contains_unknown(value: Any) -> bool:
    """True when the value is unknown or has an unknown anywhere inside."""
    if isinstance(value, Unknown):
        return True
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    return False


def scalar_text(value: Any) -> str:
    """A primitive as Terraform and CloudFormation spell it in text: true/false, 5 for 5.0."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
