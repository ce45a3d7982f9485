"""Terraform HCL as desired state: load a root module and evaluate it to resource instances.

Public API
----------
``load_configuration(root, *, var_files=(), env=None, state_lookup=None, cache=None) -> Configuration``
    Load the root module in ``root`` (all ``*.tf`` / ``*.tf.json``; ``terraform.tfvars``,
    ``*.auto.tfvars``, then ``var_files`` in order; ``TF_VAR_*`` from ``env`` (default
    ``os.environ``); variable defaults and ``optional()`` object attributes), local child modules
    (``source = "./..."``) recursively, and evaluate every resource and data block.

    ``state_lookup`` is ``Callable[[instance_address], dict | None]`` or a mapping
    ``{instance address: state attributes}``; references to resource/data attributes not set in
    code are taken from it (unless the code edited that instance: then only ``id``/``arn`` of a
    managed resource are kept), otherwise they are ``UNKNOWN``. ``aws_iam_policy_document``
    data sources are computed locally (``json``, ``minified_json``) as the provider writes them.
    ``cache`` defaults to the process-wide ``DEFAULT_CACHE``.

    Raises ``driftdeck.core.errors.InputError`` (file and line) for malformed HCL, a malformed
    variables file, or a missing ``var_files`` entry. Everything else is non-fatal and ends up
    in ``Configuration.diagnostics``.

``Configuration``
    ``.instances: dict[str, CodeInstance]`` keyed by Terraform instance address
    (``aws_sqs_queue.q[0]``, ``module.net.aws_subnet.private["a"]``, ``data.aws_x.y``);
    ``.diagnostics: list[Diagnostic]`` (``kind`` in module_not_evaluated, unknown_function,
    eval_error, missing_variable, unexpanded, cycle); ``.backend: Backend | None``
    (``type``, ``config`` evaluated to plain values, ``file``, ``line``);
    ``.unexpanded: dict[str, (file, line)]`` resources/module calls whose count/for_each is
    unknown (their instances are absent from ``.instances``); ``.unevaluated_modules:
    dict[module path, source]`` registry/git modules; ``.providers: dict[str, dict]`` root provider
    configurations evaluated (``{"aws": {"region": ...}, "aws.west": {...}}``); ``.moved:
    dict[old address, new address]`` from ``moved`` blocks;
    ``.is_undecidable(state_address) -> bool`` (True when code can say nothing about that state
    address); ``.files``.

``CodeInstance``
    ``address, mode ("managed"|"data"), type, name, module (instance path, "" for root),
    index_key (int | str | None), attributes (dict; nested blocks as lists of objects; nulls
    dropped; UNKNOWN where not computable), file (relative to root), line (block header)``;
    ``sensitive_paths`` (frozenset of argument names fed by sensitive inputs: never print);
    ``ignore_changes`` (lifecycle paths, ``{"*"}`` for all; compare_code_to_state honours them);
    ``provider`` (root provider configuration used, "aws" / "aws.west", module mappings followed);
    ``.resource_address`` (no instance key); ``.knowledge`` -> "known" | "partial" | "unknown";
    ``.natural_name`` -> ("bucket", "acme-logs") | None, for matching code to live without state.

``locate_resources(root, *, cache=None) -> dict[str, tuple[str, int]]``
    Resource address without instance key -> (file relative to root, line), following local
    modules; never evaluates, never fails on bad syntax (falls back to a pattern scan).

``UNKNOWN`` / ``is_unknown(v)`` / ``contains_unknown(v)``
    The "not computable from code" sentinel: it propagates through operators and functions and
    must never be compared with state or live values.

``compare_code_to_state(code_instances, desired_resources, *, undecidable=None, moved=None)
-> dict[str, list[Difference]]``
    Code vs state per instance address (``Difference(side="code")``, expected = code, actual =
    state; whole-instance ``added``/``removed`` with path ""), see ``compare.py``. Pass
    ``undecidable=config.is_undecidable, moved=config.moved``.

``ParseCache`` / ``DEFAULT_CACHE``
    Parse results keyed by BLAKE3 of file content: re-loading after one edit re-parses one file.
"""

from driftdeck.core.hcl.cache import DEFAULT_CACHE, ParseCache
from driftdeck.core.hcl.compare import compare_code_to_state
from driftdeck.core.hcl.loader import load_configuration
from driftdeck.core.hcl.locate import locate_resources
from driftdeck.core.hcl.results import Backend, CodeInstance, Configuration, Diagnostic, strip_instance_keys
from driftdeck.core.hcl.values import UNKNOWN, Unknown, contains_unknown, is_unknown

__all__ = [
    "DEFAULT_CACHE",
    "UNKNOWN",
    "compare_code_to_state",
    "Backend",
    "CodeInstance",
    "Configuration",
    "Diagnostic",
    "ParseCache",
    "Unknown",
    "contains_unknown",
    "is_unknown",
    "load_configuration",
    "locate_resources",
    "strip_instance_keys",
]
