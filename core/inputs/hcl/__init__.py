"""Terraform HCL as desired state: load a root module and evaluate it to resource instances.

Public API
----------
``load_configuration(root, *, var_files=(), variables=None, env=None, state_lookup=None,
cache=None) -> Configuration``
    Loads the root module in ``root``: every ``*.tf`` / ``*.tf.json`` (override files merged),
    child modules recursively (local ``source = "./..."``/``"../..."``, and registry/git modules
    when ``terraform init`` has installed them under ``.terraform/modules``), and evaluates every
    resource and data block. Variable values, lowest precedence first: declared ``default``
    (with ``optional()`` object attribute defaults applied), ``TF_VAR_*`` from ``env`` (default
    ``os.environ``; complex types parsed as HCL), ``terraform.tfvars(.json)``,
    ``*.auto.tfvars(.json)`` in lexical order, ``var_files`` in order, ``variables`` (like
    ``-var``, already-evaluated values). ``TF_WORKSPACE`` in ``env`` sets terraform.workspace.

    ``state_lookup``: ``Callable[[instance_address], dict | None]`` or a mapping
    ``{instance address: state attributes}``. References to resource/data attributes the code
    does not set are taken from it (if the code edited that instance, only ``id``/``arn`` of a
    managed resource are kept), otherwise they are ``UNKNOWN``. A callable may also synthesize
    facts, e.g. ``data.aws_caller_identity.current`` -> ``{"account_id": ...}``.
    ``aws_iam_policy_document`` (``json``/``minified_json``, as the provider writes them),
    ``aws_region`` and ``aws_partition`` (from the provider block's region) are computed locally.
    ``cache`` defaults to the process-wide ``DEFAULT_CACHE``.

    Raises ``driftdeck.core.errors.InputError`` (file and line) for malformed HCL or templates,
    a malformed variables file, or a missing ``var_files`` entry. Everything else is non-fatal
    and ends up in ``Configuration.diagnostics``.

``Configuration``
    ``.instances: dict[str, CodeInstance]`` keyed by Terraform instance address
    (``aws_sqs_queue.q[0]``, ``module.net.aws_subnet.private["a"]``, ``data.aws_x.y``);
    ``.diagnostics: list[Diagnostic]`` (``kind``: module_not_evaluated, unknown_function,
    eval_error, missing_variable, unexpanded, cycle; ``file``, ``line``, ``message``);
    ``.backend: Backend | None`` (``type``, ``config`` evaluated to plain values, ``file``,
    ``line``); ``.unexpanded: dict[str, (file, line)]`` resources / module calls whose
    count/for_each is unknown (their instances are absent from ``.instances``);
    ``.unevaluated_modules: dict[module path, source]`` (registry/git sources not installed);
    ``.providers: dict[str, dict]`` root provider configurations, evaluated
    (``{"aws": {"region": ...}, "aws.west": {...}}``); ``.moved: dict[old, new]`` from
    ``moved`` blocks; ``.is_undecidable(state_address) -> bool`` (True when the address falls
    under an unexpanded resource/module or an unevaluated module: code can say nothing about
    it); ``.files`` (relative to root).

``CodeInstance``
    ``address, mode ("managed"|"data"), type, name, module (instance path, "" for the root),
    index_key (int | str | None), attributes, file (relative to root), line (resource block
    header), sensitive_paths, ignore_changes, provider``. ``attributes``: the arguments the
    code sets, nested blocks as lists of objects (dynamic blocks expanded), nulls dropped,
    ``UNKNOWN`` where not computable. ``sensitive_paths``: argument names fed by sensitive
    variables/outputs or ``sensitive()`` (never print them). ``ignore_changes``: lifecycle paths
    (``{"*"}`` for ``all``). ``provider``: the root provider configuration used ("aws",
    "aws.west"), following module ``providers`` mappings. Properties: ``.resource_address`` (no
    instance key), ``.knowledge`` ("known" | "partial" | "unknown"), ``.natural_name``
    (``("bucket", "acme-logs")`` or None, to match code to live when there is no state).

Pending edits (code vs state) and code vs live by natural name are compared in
``driftdeck.core.scan.pending`` (``compare_code_to_state``, ``match_code_to_live``) and
``driftdeck.core.compare.code_rules`` (``diff_attributes``).

``state_lookup_from_tfstate(document) -> dict[str, dict]``
    Every resource *and data source* of a v4 state document (bytes, str or parsed), keyed by
    instance address: the best ``state_lookup`` (core.inputs.tfstate keeps managed AWS resources only,
    but code references data sources and e.g. ``random_pet`` names too).

``locate_resources(root, *, cache=None) -> dict[str, tuple[str, int]]``
    Resource address without instance key (``module.net.aws_subnet.private``,
    ``data.aws_x.y``) -> (file relative to root, line), following local and installed modules. Never
    evaluates; never fails on bad syntax (a file that does not parse is pattern-scanned).
    ``strip_instance_keys(address)`` turns a state address into that form.
    ``locate_resource(root, address)`` answers for one address (instance keys allowed) reading only
    its module chain. ``hcl.locate.locate_block(root, address)`` is the same locator's view for
    text edits (the plans): the block's byte offsets in its file.

``UNKNOWN`` / ``is_unknown(v)`` / ``contains_unknown(v)`` (imported from ``driftdeck.core.unknown``)
    The "not computable from code" sentinel: it propagates through operators and functions and
    must never be compared with state or live values. It has one home, shared with the live side.

``ParseCache`` / ``DEFAULT_CACHE``
    Parse results keyed by the BLAKE3 hash of file content: re-loading after one edit re-parses
    that file only (the rest of a reload is evaluation, a few ms for typical roots).

Typical engine use::

    config = load_configuration(root, state_lookup=state_lookup_from_tfstate(state_bytes))
    pending = compare_code_to_state(config.instances, state_file.resources,  # core.scan.pending
                                    undecidable=config.is_undecidable, moved=config.moved,
                                    include_type=lambda t: t.startswith("aws_"))
"""

from driftdeck.core.inputs.hcl.cache import DEFAULT_CACHE, ParseCache
from driftdeck.core.inputs.hcl.loader import load_configuration
from driftdeck.core.inputs.hcl.locate import locate_resource, locate_resources
from driftdeck.core.inputs.hcl.results import (
    Backend,
    CodeInstance,
    Configuration,
    Diagnostic,
    strip_instance_keys,
)
from driftdeck.core.inputs.hcl.state import state_lookup_from_tfstate

__all__ = [
    "DEFAULT_CACHE",
    "Backend",
    "CodeInstance",
    "Configuration",
    "Diagnostic",
    "ParseCache",
    "load_configuration",
    "locate_resource",
    "locate_resources",
    "state_lookup_from_tfstate",
    "strip_instance_keys",
]
