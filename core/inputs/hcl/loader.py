"""`load_configuration`: a Terraform root module -> evaluated resource instances."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from driftdeck.core.errors import InputError
from driftdeck.core.inputs.hcl.cache import DEFAULT_CACHE, ParseCache
from driftdeck.core.inputs.hcl.declarations import ModuleConfig, ignored_changes
from driftdeck.core.inputs.hcl.evaluator import Scope, evaluate, evaluate_body
from driftdeck.core.inputs.hcl.module import IsolatedContext, ModuleInstance, Session, finalize_variables
from driftdeck.core.inputs.hcl.parse import TemplateSyntaxError, parse_expression
from driftdeck.core.inputs.hcl.results import Backend, CodeInstance, Configuration
from driftdeck.core.inputs.hcl.types import is_primitive_type
from driftdeck.core.inputs.hcl.values import EvalError, diagnostic_kind
from driftdeck.core.unknown import UNKNOWN

StateLookupArg = Callable[[str], "dict[str, Any] | None"] | Mapping[str, "dict[str, Any]"] | None


def load_configuration(
    root: Path | str,
    *,
    var_files: Iterable[Path | str] = (),
    variables: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    state_lookup: StateLookupArg = None,
    cache: ParseCache | None = None,
    planned: Mapping[str, Mapping[str, Any]] | None = None,
) -> Configuration:
    """Load and evaluate the Terraform root module in `root` (see the package docstring).
    `planned` (instance address → the provider's planned new object) is what references to a
    resource with a pending change see, as in `terraform plan`; others see the state."""
    root = Path(root).resolve()
    if not root.is_dir():
        raise InputError("not a directory", file=str(root))
    lookup = _as_lookup(state_lookup)
    env = os.environ if env is None else env
    session = Session(root, cache or DEFAULT_CACHE, lookup, workspace=env.get("TF_WORKSPACE", "default"), planned=planned)
    config = session.config_for(root)
    given = _root_variable_values(session, config, var_files, env)
    given.update(variables or {})  # like -var: highest precedence
    variables = finalize_variables(session, config, given, is_root=True)
    root_instance = ModuleInstance(session, config, "", variables)
    session.root_instance = root_instance

    result = Configuration(root=str(root))
    _collect(root_instance, result)
    result.providers = _providers(root_instance)
    result.backend = _backend(session, config)
    result.files = sorted({f for c in session._configs.values() for f in c.files})
    result.diagnostics = list(session.diagnostics)
    return result


def _as_lookup(state_lookup: StateLookupArg) -> Callable[[str], dict[str, Any] | None] | None:
    if state_lookup is None:
        return None
    if isinstance(state_lookup, Mapping):
        mapping = state_lookup
        return lambda address: mapping.get(address)
    return state_lookup


# --- root variables ------------------------------------------------------------------------------


def _root_variable_values(
    session: Session, config: ModuleConfig, var_files: Iterable[Path | str], env: Mapping[str, str]
) -> dict[str, Any]:
    """Terraform's precedence, lowest first: env TF_VAR_*, terraform.tfvars(.json),
    *.auto.tfvars(.json) in lexical order, then -var-file files in the order given."""
    values: dict[str, Any] = {}
    for key, raw in env.items():
        if key.startswith("TF_VAR_") and key[7:] in config.variables:
            values[key[7:]] = _env_value(session, config, key[7:], raw)
    root = session.root
    files = [root / "terraform.tfvars", root / "terraform.tfvars.json"]
    files += sorted(p for p in root.iterdir() if p.name.endswith((".auto.tfvars", ".auto.tfvars.json")))
    files = [p for p in files if p.is_file()]
    for explicit in var_files:
        path = Path(explicit)
        if not path.is_absolute() and not path.exists():
            path = root / path
        if not path.is_file():
            raise InputError("variable file not found", file=str(explicit))
        files.append(path)
    for path in files:
        values.update(_read_tfvars(session, path))
    return values


def _env_value(session: Session, config: ModuleConfig, name: str, raw: str) -> Any:
    block = config.variables[name]
    type_attr = block.body.attributes.get("type")
    if is_primitive_type(type_attr.expr if type_attr else None):
        return raw
    try:
        return evaluate(parse_expression(raw), Scope(IsolatedContext(session, str(session.root))))
    except (EvalError, TemplateSyntaxError, Exception):
        session.diag("eval_error", f"TF_VAR_{name}: not a valid HCL value; value unknown")
        return UNKNOWN


def _read_tfvars(session: Session, path: Path) -> dict[str, Any]:
    shown = session.display(path)
    if path.name.endswith(".json"):
        try:
            data = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            line = getattr(exc, "lineno", None)
            raise InputError(f"invalid variables file: {exc}", file=shown, line=line) from None
        if not isinstance(data, dict):
            raise InputError("a .tfvars.json file must hold a JSON object", file=shown, line=1)
        return data
    parsed = session.cache.parse_file(path, shown)
    scope = Scope(IsolatedContext(session, str(session.root)))
    out: dict[str, Any] = {}
    for name, attr in parsed.body.attributes.items():
        try:
            out[name] = evaluate(attr.expr, scope)
        except EvalError as exc:
            raise InputError(f"variable {name}: {exc}", file=shown, line=attr.line) from None
    return out


# --- instances -----------------------------------------------------------------------------------


def _collect(instance: ModuleInstance, result: Configuration) -> None:
    session = instance.session
    for old, new in instance.config.moved:
        if old and new:
            result.moved[instance.prefix + old] = instance.prefix + new
    for decl in instance.config.resources.values():
        expansion = instance.expansion(decl.block, decl.file, (decl.mode, decl.type, decl.name))
        bare = f"{instance.prefix}{decl.local_address}"
        if expansion is UNKNOWN:
            result.unexpanded[bare] = (decl.file, decl.block.line)
            session.diag("unexpanded", f"{bare}: count/for_each not known from code", decl.file, decl.block.line)
            continue
        sensitive = frozenset(instance.sensitive_paths(decl.block.body))
        ignored = ignored_changes(decl.block.body)
        provider = instance.resource_provider(decl)
        for key, bindings in expansion:
            address = instance.instance_address(decl, key)
            result.instances[address] = CodeInstance(
                address=address,
                mode=decl.mode,
                type=decl.type,
                name=decl.name,
                module=instance.path,
                index_key=key,
                attributes=instance.instance_attributes(decl, key, bindings),
                file=decl.file,
                line=decl.block.line,
                sensitive_paths=sensitive,
                ignore_changes=ignored,
                provider=provider,
            )
    for name, call in instance.config.module_calls.items():
        bare = f"{instance.prefix}module.{name}"
        if instance.child_dir(call) is None:
            result.unevaluated_modules[bare] = call.source or "(non-literal source)"
            session.diag(
                "module_not_evaluated",
                f"{bare}: source {call.source!r} is not a local path and not installed by terraform init; "
                "its resources are not evaluated",
                call.file,
                call.block.line,
            )
            continue
        children = instance.module_instances(name)
        if children is UNKNOWN:
            result.unexpanded[bare] = (call.file, call.block.line)
            session.diag("unexpanded", f"{bare}: count/for_each not known from code", call.file, call.block.line)
            continue
        for child in children.values():
            _collect(child, result)


def _providers(root: ModuleInstance) -> dict[str, dict[str, Any]]:
    return {address: root.session.provider_config(address) for address in root.config.providers}


def _backend(session: Session, config: ModuleConfig) -> Backend | None:
    if config.backend is None:
        return None
    block, file = config.backend
    kind = block.labels[0] if block.labels else block.type
    if block.type == "cloud":
        kind = "cloud"

    def on_error(name: str, line: int, exc: Exception) -> None:
        session.diag(diagnostic_kind(exc), f"backend {kind}.{name}: {exc}", file, line)

    settings = evaluate_body(block.body, Scope(IsolatedContext(session, str(session.root))), on_error)
    return Backend(type=kind, config=settings, file=file, line=block.line)
