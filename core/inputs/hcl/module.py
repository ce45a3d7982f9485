"""Evaluated module instances (`ModuleInstance`) and the per-load `Session` they share.

A module instance is the evaluation context for expressions in its files: it resolves `var.`,
`local.`, `module.`, `data.` and resource references lazily, memoizes every result, and breaks
reference cycles by answering UNKNOWN.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from driftdeck.core.compare.code_rules import code_matches_state
from driftdeck.core.inputs.hcl.cache import ParseCache
from driftdeck.core.inputs.hcl.datasources import LOCAL_DATA_SOURCES
from driftdeck.core.inputs.hcl.declarations import (
    ModuleCallDecl,
    ModuleConfig,
    ResourceDecl,
    format_key,
    is_local_source,
    load_module_config,
    traversal_path,
)
from driftdeck.core.inputs.hcl.evaluator import Namespace, Scope, evaluate, evaluate_body, render_parts
from driftdeck.core.inputs.hcl.parse import parse_template
from driftdeck.core.inputs.hcl.results import Diagnostic
from driftdeck.core.inputs.hcl.syntax import (
    Block,
    Body,
    Call,
    Expr,
    GetAttr,
    ObjectExpr,
    Template,
    Variable,
    walk,
)
from driftdeck.core.inputs.hcl.types import convert
from driftdeck.core.inputs.hcl.values import (
    UNEXPECTED,
    EvalError,
    OpenObject,
    diagnostic_kind,
    to_number,
    to_string,
)
from driftdeck.core.unknown import UNKNOWN

MAX_COUNT = 10_000  # beyond this a count is a mistake or an attack, not infrastructure to expand
RESOURCE_META = frozenset({"count", "for_each", "provider", "depends_on", "lifecycle", "provisioner", "connection"})
MODULE_META = frozenset({"source", "version", "count", "for_each", "providers", "depends_on"})
StateLookup = Callable[[str], "dict[str, Any] | None"]
Expansion = list[tuple[Any, dict[str, Any]]]


class Session:
    """State shared by every module instance of one `load_configuration` call."""

    def __init__(
        self, root: Path, cache: ParseCache, state_lookup: StateLookup | None, workspace: str = "default",
        planned: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.root = root
        self.workspace = workspace
        self.cache = cache
        self.state_lookup = state_lookup
        self.planned = planned or {}
        self.diagnostics: list[Diagnostic] = []
        self._seen: set[tuple[Any, ...]] = set()
        self._configs: dict[Path, ModuleConfig] = {}
        self.root_instance: ModuleInstance | None = None
        self._provider_configs: dict[str, dict[str, Any]] = {}
        self._installed: dict[str, Path] | None = None

    def installed_modules(self) -> dict[str, Path]:
        """Modules `terraform init` downloaded (.terraform/modules/modules.json): key -> directory.
        Keys are module call names joined by dots ("vpc", "vpc.endpoints")."""
        if self._installed is None:
            self._installed = {}
            manifest = self.root / ".terraform" / "modules" / "modules.json"
            try:
                entries = json.loads(manifest.read_text()).get("Modules", [])
            except (OSError, ValueError, AttributeError):
                entries = []
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, dict) and entry.get("Key") and isinstance(entry.get("Dir"), str):
                    self._installed[str(entry["Key"])] = (self.root / entry["Dir"]).resolve()
        return self._installed

    def module_dir(self, parent: ModuleConfig, call: ModuleCallDecl, key_path: tuple[str, ...]) -> Path | None:
        """Where a module call's source lives: a local path, or the copy `terraform init` made."""
        return self.call_dir(parent.dir, call.name, call.source, key_path)

    def call_dir(self, directory: Path, name: str, source: str | None, key_path: tuple[str, ...]) -> Path | None:
        """`module_dir` for a call named `name` with `source` in `directory`, below the calls `key_path`
        (also used by `locate`, which reads calls without evaluating)."""
        if source is not None and is_local_source(source):
            return (directory / source).resolve()
        return self.installed_modules().get(".".join((*key_path, name)))

    def provider_config(self, address: str) -> dict[str, Any]:
        """A root-module provider configuration ("aws", "aws.west") evaluated; {} if not declared."""
        if address not in self._provider_configs:
            self._provider_configs[address] = {}
            root = self.root_instance
            if root is not None and address in root.config.providers:
                block, file = root.config.providers[address]

                def on_error(name: str, line: int, exc: Exception) -> None:
                    self.diag(diagnostic_kind(exc), f"provider {address}.{name}: {exc}; value unknown", file, line)

                self._provider_configs[address] = evaluate_body(
                    block.body, Scope(root), on_error, frozenset({"alias"})
                )
        return self._provider_configs[address]

    def display(self, path: Path) -> str:
        try:
            return Path(os.path.relpath(path, self.root)).as_posix()
        except ValueError:
            return path.as_posix()

    def config_for(self, directory: Path) -> ModuleConfig:
        directory = directory.resolve()
        if directory not in self._configs:
            self._configs[directory] = load_module_config(directory, self.display, self.cache)
        return self._configs[directory]

    def diag(self, kind: str, message: str, file: str | None = None, line: int | None = None) -> None:
        key = (kind, message, file, line)
        if key not in self._seen:
            self._seen.add(key)
            self.diagnostics.append(Diagnostic(kind, message, file, line))

    def state_attributes(self, address: str) -> dict[str, Any] | None:
        if self.state_lookup is None:
            return None
        try:
            found = self.state_lookup(address)
        except (KeyError, LookupError):
            return None
        return dict(found) if isinstance(found, dict) else None


class IsolatedContext:
    """Context for expressions that may use functions but no references: tfvars, defaults,
    backend settings, template files (their variables come in as bindings)."""

    def __init__(self, session: Session, root_dir: str) -> None:
        self.session = session
        self.root = root_dir

    def resolve_root(self, name: str) -> Any:
        raise EvalError(f"reference to {name!r} is not allowed here")

    def render_template(self, text: str, variables: dict[str, Any]) -> Any:
        return render_template(self, text, variables)

    def note_unknown_function(self, name: str) -> None:
        self.session.diag("unknown_function", f"function {name}() is not supported; value unknown")


@functools.lru_cache(maxsize=256)
def _parsed_template(text: str) -> Expr:
    return parse_template(text)


def render_template(ctx: Any, text: str, variables: dict[str, Any]) -> Any:
    try:
        expr = _parsed_template(text)
    except (ValueError, Exception) as exc:  # lark errors inside the template text
        raise EvalError(f"templatefile: invalid template: {exc}") from None
    isolated = IsolatedContext(ctx.session, ctx.root)
    scope = Scope(isolated, dict(variables))
    if isinstance(expr, Template):
        return render_parts(expr.parts, scope)
    return evaluate(expr, scope)


def overlay(state: Any, code: dict[str, Any]) -> OpenObject:
    """A resource (or nested block) as seen by references: state values, replaced by what the
    code sets. Nested blocks merge element-wise so computed attributes inside them stay
    reachable; map arguments (tags...) are the code's alone."""
    base = state if isinstance(state, dict) else {}
    merged = OpenObject(base)
    for key, value in code.items():
        merged[key] = _overlay_value(base.get(key), value)
    return merged


def _overlay_value(state: Any, code: Any) -> Any:
    if isinstance(code, list) and code and all(isinstance(c, dict) for c in code):
        if isinstance(state, list) and len(state) == len(code):
            return [overlay(s, c) for s, c in zip(state, code, strict=True)]
        return [overlay(None, c) for c in code]
    return code


class ModuleInstance:
    """One instance of a module (the root, `module.net`, `module.net["a"]`)."""

    def __init__(
        self,
        session: Session,
        config: ModuleConfig,
        path: str,
        variables: Mapping[str, Any],
        depth: int = 0,
        sensitive_inputs: frozenset[str] | None = None,
        provider_map: dict[str, str] | None = None,
        key_path: tuple[str, ...] = (),
        parent: ModuleInstance | None = None,
    ) -> None:
        self.session = session
        self.parent = parent
        self.key_path = key_path  # module call names from the root, for the init manifest
        # Provider config addresses as this module names them -> root module provider addresses.
        self.provider_map = provider_map or {}
        self.sensitive_inputs = (
            frozenset(config.sensitive_variables) if sensitive_inputs is None else sensitive_inputs
        )
        self._sensitive_locals: dict[str, bool] = {}
        self.config = config
        self.path = path  # "" for root, else "module.net[0]"
        self.prefix = f"{path}." if path else ""
        self.variables = variables
        self.depth = depth
        self.root = str(session.root)
        rel = session.display(config.dir)
        self._path_obj = {"module": rel, "root": ".", "cwd": str(session.root)}
        self._locals: dict[str, Any] = {}
        self._outputs: dict[str, Any] = {}
        self._expansions: dict[Any, Any] = {}
        self._attrs: dict[tuple[Any, ...], dict[str, Any]] = {}
        self._children: dict[str, Any] = {}
        self._busy: set[tuple[Any, ...]] = set()
        self._namespaces: dict[str, Any] = {
            "var": Namespace(self._var, lambda: list(self.variables)),
            "local": Namespace(self._local, lambda: list(self.config.locals)),
            "module": Namespace(self.module_value),
            "data": Namespace(lambda t: Namespace(lambda n: self.resource_value("data", t, n))),
            "path": self._path_obj,
            "terraform": {"workspace": session.workspace},
        }

    # --- Context protocol --------------------------------------------------------------------

    def resolve_root(self, name: str) -> Any:
        ns = self._namespaces.get(name)
        if ns is not None:
            return ns
        if name in self.config.managed_types:
            ns = Namespace(lambda n, t=name: self.resource_value("managed", t, n))
            self._namespaces[name] = ns
            return ns
        if name in ("count", "each", "self"):
            raise EvalError(f"{name!r} is not available here")
        raise EvalError(f"reference to undeclared name {name!r}")

    def render_template(self, text: str, variables: dict[str, Any]) -> Any:
        return render_template(self, text, variables)

    def note_unknown_function(self, name: str) -> None:
        self.session.diag("unknown_function", f"function {name}() is not supported; value unknown")

    # --- variables, locals, outputs ----------------------------------------------------------

    def _var(self, name: str) -> Any:
        if name not in self.variables:
            raise EvalError(f"undeclared input variable {name!r}")
        return self.variables[name]

    def _guarded(self, key: tuple[Any, ...], memo: dict[Any, Any], memo_key: Any, compute: Callable[[], Any]) -> Any:
        if memo_key in memo:
            return memo[memo_key]
        if key in self._busy:
            self.session.diag("cycle", f"reference cycle through {'.'.join(map(str, key))}; value unknown")
            return UNKNOWN
        self._busy.add(key)
        try:
            value = compute()
        finally:
            self._busy.discard(key)
        memo[memo_key] = value
        return value

    def _local(self, name: str) -> Any:
        if name not in self.config.locals:
            raise EvalError(f"undeclared local value {name!r}")
        attr, file = self.config.locals[name]
        return self._guarded(("local", name), self._locals, name, lambda: self._eval_reported(attr.expr, file, attr.line))

    def output_value(self, name: str) -> Any:
        if name not in self.config.outputs:
            raise EvalError(f"module {self.path or 'root'} has no output {name!r}")
        block, file = self.config.outputs[name]
        value_attr = block.body.attributes.get("value")
        if value_attr is None:
            return None
        return self._guarded(
            ("output", name), self._outputs, name, lambda: self._eval_reported(value_attr.expr, file, value_attr.line)
        )

    def _eval_reported(self, expr: Expr, file: str, line: int, scope: Scope | None = None) -> Any:
        try:
            return evaluate(expr, scope or Scope(self))
        except EvalError as exc:
            self.session.diag("eval_error", f"{exc}; value unknown", file, line)
            return UNKNOWN
        except UNEXPECTED as exc:
            self.session.diag("internal_error", f"{type(exc).__name__}: {exc}; value unknown", file, line)
            return UNKNOWN

    # --- count / for_each --------------------------------------------------------------------

    def expansion(self, block: Block, file: str, ident: Any) -> Any:
        """[(instance key, bindings)] for a resource or module block, or UNKNOWN."""
        if ident in self._expansions:
            return self._expansions[ident]
        result = self._expand(block, file)
        self._expansions[ident] = result
        return result

    def _expand(self, block: Block, file: str) -> Any:
        attrs = block.body.attributes
        if "count" in attrs:
            count = self._eval_reported(attrs["count"].expr, file, attrs["count"].line)
            if count is UNKNOWN:
                return UNKNOWN
            try:
                n = int(to_number(count))
            except EvalError as exc:
                self.session.diag("eval_error", f"count: {exc}", file, attrs["count"].line)
                return UNKNOWN
            if n > MAX_COUNT:
                self.session.diag("unexpanded", f"count = {n} is more than {MAX_COUNT}; not expanded", file, attrs["count"].line)
                return UNKNOWN
            return [(i, {"count": {"index": i}}) for i in range(max(n, 0))]
        if "for_each" in attrs:
            coll = self._eval_reported(attrs["for_each"].expr, file, attrs["for_each"].line)
            return self._for_each_pairs(coll, file, attrs["for_each"].line)
        return [(None, {})]

    def _for_each_pairs(self, coll: Any, file: str, line: int) -> Any:
        if coll is UNKNOWN or coll is None:
            return UNKNOWN if coll is UNKNOWN else []
        if isinstance(coll, dict):
            return [(k, {"each": {"key": k, "value": coll[k]}}) for k in sorted(coll)]
        if isinstance(coll, list):
            if any(v is UNKNOWN for v in coll):
                return UNKNOWN
            try:
                keys = sorted({to_string(v) for v in coll})
            except EvalError as exc:
                self.session.diag("eval_error", f"for_each: {exc}", file, line)
                return UNKNOWN
            return [(k, {"each": {"key": k, "value": k}}) for k in keys]
        self.session.diag("eval_error", "for_each must be a map or a set of strings", file, line)
        return UNKNOWN

    # --- resources ---------------------------------------------------------------------------

    def instance_address(self, decl: ResourceDecl, key: Any) -> str:
        return f"{self.prefix}{decl.local_address}{format_key(key)}"

    def instance_attributes(self, decl: ResourceDecl, key: Any, bindings: dict[str, Any]) -> dict[str, Any]:
        memo_key = (decl.mode, decl.type, decl.name, key)

        def compute() -> dict[str, Any]:
            scope = Scope(self, bindings)

            def on_error(name: str, line: int, exc: Exception) -> None:
                self.session.diag(
                    diagnostic_kind(exc), f"{decl.local_address}.{name}: {exc}; value unknown", decl.file, line
                )

            return evaluate_body(decl.block.body, scope, on_error, RESOURCE_META)

        result = self._guarded(("resource",) + memo_key, self._attrs, memo_key, compute)
        return result if isinstance(result, dict) else {}

    def resource_value(self, mode: str, type_: str, name: str) -> Any:
        decl = self.config.resources.get((mode, type_, name))
        if decl is None:
            raise EvalError(f"reference to undeclared resource {'data.' if mode == 'data' else ''}{type_}.{name}")
        expansion = self.expansion(decl.block, decl.file, (mode, type_, name))
        if expansion is UNKNOWN:
            return UNKNOWN
        objects = [(key, self._instance_object(decl, key, b)) for key, b in expansion]
        attrs = decl.block.body.attributes
        if "count" in attrs:
            return [obj for _, obj in objects]
        if "for_each" in attrs:
            return {key: obj for key, obj in objects}
        return objects[0][1]

    def _instance_object(self, decl: ResourceDecl, key: Any, bindings: dict[str, Any]) -> OpenObject:
        address = self.instance_address(decl, key)
        code = self.instance_attributes(decl, key, bindings)
        planned = self.session.planned.get(address) if decl.mode == "managed" else None
        if planned is not None:
            # The provider planned this resource's next apply: references see exactly what
            # Terraform's would, the planned new object (unknowns included).
            return overlay(dict(planned), code)
        state = self.session.state_attributes(address) or {}
        if state and not code_matches_state(code, state):
            # Edited since the last apply: computed values in state may be stale. A managed
            # resource updated in place keeps its identity; a data source is read again.
            kept = ("id", "arn") if decl.mode == "managed" else ()
            state = {k: v for k, v in state.items() if k in kept}
        if decl.mode == "data" and decl.type in LOCAL_DATA_SOURCES:
            computed = LOCAL_DATA_SOURCES[decl.type](code, self.session.provider_config(self.resource_provider(decl)))
            if computed is not None:
                state = {**state, **computed}
        return overlay(state, code)

    # --- child modules -----------------------------------------------------------------------

    def module_instances(self, name: str) -> Any:
        """{instance key: ModuleInstance} for a module call, or UNKNOWN."""
        if name in self._children:
            return self._children[name]
        call = self.config.module_calls.get(name)
        if call is None:
            raise EvalError(f"reference to undeclared module {name!r}")
        result = self._guarded(("module", name), self._children, name, lambda: self._instantiate(call))
        return result

    def child_dir(self, call: ModuleCallDecl) -> Path | None:
        return self.session.module_dir(self.config, call, self.key_path)

    def _ancestor_dirs(self) -> set[Path]:
        dirs: set[Path] = set()
        instance: ModuleInstance | None = self
        while instance is not None:
            dirs.add(instance.config.dir.resolve())
            instance = instance.parent
        return dirs

    def _instantiate(self, call: ModuleCallDecl) -> Any:
        child_dir = self.child_dir(call)
        if child_dir is None:
            return UNKNOWN
        if child_dir in self._ancestor_dirs() or self.depth > 24:
            # Terraform rejects a module that (indirectly) calls itself; never recurse forever.
            self.session.diag("module_not_evaluated", f"module {call.name}: calls itself (source {call.source})", call.file, call.block.line)
            return UNKNOWN
        if not child_dir.is_dir():
            self.session.diag("module_not_evaluated", f"module {call.name}: source {call.source} not found", call.file, call.block.line)
            return UNKNOWN
        expansion = self.expansion(call.block, call.file, ("module", call.name))
        if expansion is UNKNOWN:
            return UNKNOWN
        config = self.session.config_for(child_dir)
        children: dict[Any, ModuleInstance] = {}
        for key, bindings in expansion:
            path = f"{self.prefix}module.{call.name}{format_key(key)}"
            variables = LazyVariables(self.session, config, self._argument_getter(call, Scope(self, bindings), path))
            children[key] = ModuleInstance(
                self.session,
                config,
                path,
                variables,
                self.depth + 1,
                self._sensitive_arguments(call, config),
                self._child_provider_map(call),
                (*self.key_path, call.name),
                self,
            )
        return children

    def _argument_getter(self, call: ModuleCallDecl, scope: Scope, path: str) -> Callable[[str], tuple[bool, Any]]:
        """Module arguments are evaluated one at a time, when the child first reads them:
        Terraform's dependency graph works per variable, so eager evaluation would see cycles
        (a module argument using another output of the same module) that Terraform does not."""
        attrs = call.block.body.attributes
        memo: dict[str, Any] = {}

        def get(name: str) -> tuple[bool, Any]:
            if name in MODULE_META or name not in attrs:
                return False, None
            attr = attrs[name]
            value = self._guarded(
                ("argument", path, name), memo, name, lambda: self._eval_reported(attr.expr, call.file, attr.line, scope)
            )
            return True, value

        return get

    # --- providers ---------------------------------------------------------------------------

    def provider_address(self, local_name: str) -> str:
        """The root-module provider configuration that `local_name` ("aws", "aws.west") means here."""
        return self.provider_map.get(local_name, local_name)

    def resource_provider(self, decl: ResourceDecl) -> str:
        attr = decl.block.body.attributes.get("provider")
        name = traversal_path(attr.expr) if attr else None
        return self.provider_address(name or decl.type.split("_", 1)[0])

    def _child_provider_map(self, call: ModuleCallDecl) -> dict[str, str]:
        # Default (unaliased) providers are inherited; `providers = { aws = aws.west }` remaps.
        mapping = {k: v for k, v in self.provider_map.items() if "." not in k}
        attr = call.block.body.attributes.get("providers")
        if attr is not None and isinstance(attr.expr, ObjectExpr):
            for key_expr, value_expr in attr.expr.items:
                child_name, parent_name = traversal_path(key_expr), traversal_path(value_expr)
                if child_name and parent_name:
                    mapping[child_name] = self.provider_address(parent_name)
        return mapping

    # --- sensitivity (static: which expressions read sensitive values) -------------------------

    def _sensitive_arguments(self, call: ModuleCallDecl, child: ModuleConfig) -> frozenset[str]:
        passed = {
            name for name, attr in call.block.body.attributes.items()
            if name not in MODULE_META and self.expr_is_sensitive(attr.expr)
        }
        return frozenset(child.sensitive_variables | passed)

    def expr_is_sensitive(self, expr: Expr) -> bool:
        """True when the expression reads a sensitive variable, local, module output, or calls sensitive()."""
        for node in walk(expr):
            if isinstance(node, Call) and node.name == "sensitive":
                return True
            if not isinstance(node, GetAttr):
                continue
            if isinstance(node.obj, Variable):
                if node.obj.name == "var" and node.name in self.sensitive_inputs:
                    return True
                if node.obj.name == "local" and self._local_is_sensitive(node.name):
                    return True
            elif isinstance(node.obj, GetAttr) and isinstance(node.obj.obj, Variable) and node.obj.obj.name == "module":
                call = self.config.module_calls.get(node.obj.name)
                child_dir = self.child_dir(call) if call is not None else None
                if child_dir is not None and child_dir.is_dir():
                    if node.name in self.session.config_for(child_dir).sensitive_outputs:
                        return True
        return False

    def _local_is_sensitive(self, name: str) -> bool:
        if name not in self._sensitive_locals:
            self._sensitive_locals[name] = False  # breaks cycles
            if name in self.config.locals:
                self._sensitive_locals[name] = self.expr_is_sensitive(self.config.locals[name][0].expr)
        return self._sensitive_locals[name]

    def sensitive_paths(self, body: Body, prefix: str = "") -> set[str]:
        """Top-level argument names (and nested block types) whose values are sensitive."""
        out: set[str] = set()
        for name, attr in body.attributes.items():
            if name not in RESOURCE_META and self.expr_is_sensitive(attr.expr):
                out.add(prefix + name)
        for block in body.blocks:
            if block.type in RESOURCE_META:
                continue
            label = block.labels[0] if block.type == "dynamic" and block.labels else block.type
            if self.sensitive_paths(block.body):
                out.add(prefix + label)
        return out

    def module_value(self, name: str) -> Any:
        instances = self.module_instances(name)
        if instances is UNKNOWN:
            return UNKNOWN
        call = self.config.module_calls[name]

        def ns(inst: ModuleInstance) -> Namespace:
            return Namespace(inst.output_value, lambda: list(inst.config.outputs))

        attrs = call.block.body.attributes
        if "count" in attrs:
            return [ns(i) for i in instances.values()]
        if "for_each" in attrs:
            return {k: ns(i) for k, i in instances.items()}
        return ns(next(iter(instances.values())))


class LazyVariables(Mapping[str, Any]):
    """A child module's input variables, each resolved on first use."""

    def __init__(self, session: Session, config: ModuleConfig, given: Callable[[str], tuple[bool, Any]]) -> None:
        self._session = session
        self._config = config
        self._given = given
        self._values: dict[str, Any] = {}

    def __contains__(self, name: object) -> bool:
        return name in self._config.variables

    def __iter__(self) -> Iterator[str]:
        return iter(self._config.variables)

    def __len__(self) -> int:
        return len(self._config.variables)

    def __getitem__(self, name: str) -> Any:
        if name not in self._values:
            has, value = self._given(name)
            self._values[name] = finalize_variable(
                self._session, self._config.variables[name], name, has, value, is_root=False
            )
        return self._values[name]


def finalize_variables(session: Session, config: ModuleConfig, given: dict[str, Any], *, is_root: bool) -> dict[str, Any]:
    """Declared variables -> values: given value, else default, converted to the declared type."""
    return {
        name: finalize_variable(
            session, block, name, name in given, given.get(name), is_root=is_root, file=config.variable_files.get(name)
        )
        for name, block in config.variables.items()
    }


def finalize_variable(
    session: Session, block: Block, name: str, has_value: bool, value: Any, *, is_root: bool, file: str | None = None
) -> Any:
    isolated = IsolatedContext(session, str(session.root))

    def eval_default(expr: Expr) -> Any:
        try:
            return evaluate(expr, Scope(isolated))
        except EvalError:
            return UNKNOWN

    attrs = block.body.attributes
    type_expr = attrs["type"].expr if "type" in attrs else None
    nullable = True
    if "nullable" in attrs:
        nullable = eval_default(attrs["nullable"].expr) is not False
    if has_value and not (value is None and not nullable):
        result = value
    elif "default" in attrs:
        result = eval_default(attrs["default"].expr)
    else:
        result = UNKNOWN
        if is_root:
            session.diag("missing_variable", f"no value for variable {name!r}; value unknown", file, block.line)
    return convert(result, type_expr, eval_default)
