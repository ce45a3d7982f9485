"""Plan generation: for each drifted resource, every direction that applies to its status.

changed   -> revert (terraform -target/-replace + exact AWS calls) and adopt (patch to the .tf block)
unmanaged -> import (import {} + resource block); revert for an extra rule on a managed group
missing   -> forget (removed {} / terraform state rm) and recreate (terraform apply -target)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from driftdeck.core.aws import AwsContext
from driftdeck.core.compare.state_vs_live import compare_attributes
from driftdeck.core.cty import CtyError
from driftdeck.core.inputs.hcl.literals import resource_body
from driftdeck.core.inputs.hcl.locate import LocatedBlock, locate_block, parse_address
from driftdeck.core.live.collectors import collector_for
from driftdeck.core.model import DesiredResource, ResourceResult, SourceRef, Status
from driftdeck.core.remediation import adopt as adopt_mod
from driftdeck.core.remediation import cloudformation, importing
from driftdeck.core.remediation import forget as forget_mod
from driftdeck.core.remediation.plan import (
    PATCH_PLACEHOLDER,
    AwsCall,
    Command,
    Direction,
    DirectionPlan,
    FilePatch,
    ResourcePlan,
    Risk,
)
from driftdeck.core.remediation.revert import SAFE_KINDS, revert_calls
from driftdeck.core.remediation.risks import direction_risks, replacement_decision
from driftdeck.core.remediation.sensitive import MARKER, scrub, scrub_text, sensitivity_of
from driftdeck.core.remediation.workdir import chdir_flag, config_root, shown_path
from driftdeck.core.text import shell_quote

if TYPE_CHECKING:
    from driftdeck.core.live.provider.generate import GeneratedConfig

DIRECTIONS_BY_STATUS: dict[Status, tuple[Direction, ...]] = {
    Status.CHANGED: (Direction.REVERT, Direction.ADOPT),
    Status.UNMANAGED: (Direction.IMPORT, Direction.REVERT),
    Status.MISSING: (Direction.FORGET, Direction.RECREATE),
}


@dataclass
class PlanOptions:
    """Where the code lives and which directions to plan (None: every one that applies)."""

    workspace: Path
    directions: frozenset[Direction] | None = None

    def wants(self, direction: Direction) -> bool:
        if self.directions is None:
            return True
        # `forget` is asked for as one choice with its counterpart `recreate`.
        return direction in self.directions or (direction == Direction.RECREATE and Direction.FORGET in self.directions)


def build_plans(results: Iterable[ResourceResult], options: PlanOptions, *, ctx: AwsContext | None = None) -> list[ResourcePlan]:
    """Plans for every drifted resource in `results` (in_sync, unknown and pending are skipped).

    Drift that a bucket only mirrors from a sub-resource planned in the same batch (its computed
    `versioning` when an aws_s3_bucket_versioning manages it) is planned once, on the sub-resource.
    """
    results = list(results)
    mirrored = mirrored_drift(results)
    plans: list[ResourcePlan] = []
    taken: set[str] = set()
    # Owners first: applying the plans in order then leaves each bucket in sync after its own revert.
    for result in sorted(results, key=lambda r: r.key in mirrored):
        owner = mirrored.get(result.key)
        if owner is not None:
            result, note = _without_mirrored(result, owner)
            if not result.differences:
                continue  # nothing of its own drifted: the owner's plan answers it
        plan = plan_resource(result, options, ctx=ctx, taken_names=taken)
        if plan is not None:
            if owner is not None:
                for dp in plan.directions:
                    dp.notes.append(note)
            plans.append(plan)
    return plans


# Bucket attributes that only mirror a dedicated sub-resource (provider v4+: computed on the bucket).
_MIRRORS = {"aws_s3_bucket_versioning": "versioning["}


def mirrored_drift(results: Iterable[ResourceResult]) -> dict[str, ResourceResult]:
    """Bucket key -> the drifted sub-resource whose drift the bucket only mirrors, for the buckets in
    `results` that have such a sibling (their mirrored differences are answered by its plan)."""
    results = list(results)
    owners: dict[tuple[str, str], ResourceResult] = {}
    for r in results:
        if r.type in _MIRRORS and r.status.is_drift and r.address:
            bucket = str((r.expected or {}).get("bucket") or r.id)
            owners[(bucket, _MIRRORS[r.type])] = r
    out: dict[str, ResourceResult] = {}
    for r in results:
        if r.type != "aws_s3_bucket" or not r.status.is_drift:
            continue
        bucket = str((r.expected or {}).get("bucket") or r.id)
        for (name, prefix), owner in owners.items():
            if name == bucket and any(d.side != "code" and d.path.startswith(prefix) for d in r.differences):
                out[r.key] = owner
    return out


def _without_mirrored(result: ResourceResult, owner: ResourceResult) -> tuple[ResourceResult, str]:
    prefix = _MIRRORS[owner.type]
    kept = [d for d in result.differences if d.side == "code" or not d.path.startswith(prefix)]
    gone = [d.path for d in result.differences if d not in kept]
    note = (f"{', '.join(gone)} only mirror {owner.address}, which manages it: its plan reverts or adopts that, "
            "so it is not repeated here")
    return replace(result, differences=kept), note


def plan_resource(
    result: ResourceResult, options: PlanOptions, *, ctx: AwsContext | None = None, taken_names: set[str] | None = None
) -> ResourcePlan | None:
    """Every wanted direction for one resource, or None when none applies (in sync, unknown, a
    finding that stands for many objects...)."""
    if result.aggregate:
        return None  # objects counted together: import or remove them one by one, by their own ids
    wanted = [d for d in DIRECTIONS_BY_STATUS.get(result.status, ()) if options.wants(d)]
    directions: list[DirectionPlan] = []
    if cloudformation.is_cloudformation(result):
        for direction in wanted:
            plan = (cloudformation.cfn_revert(result) if direction == Direction.REVERT
                    else cloudformation.cfn_adopt(result, options.workspace) if direction == Direction.ADOPT else None)
            if plan is not None:
                plan.risks = plan.risks or direction_risks(result, direction)
                directions.append(plan)
        return ResourcePlan(result, directions) if directions else None
    for direction in wanted:
        if direction == Direction.REVERT:
            plan = _revert(result, options)
        elif direction == Direction.ADOPT:
            plan = _adopt(result, options)
        elif direction == Direction.IMPORT:
            plan = _import(result, options, ctx, taken_names if taken_names is not None else set())
        elif direction == Direction.FORGET:
            plan = forget_mod.forget_plan(result, config_root(result, options.workspace), options.workspace)
        else:
            plan = forget_mod.recreate_plan(result, config_root(result, options.workspace), options.workspace)
        if plan is not None:
            plan.risks = plan.risks or direction_risks(result, direction)
            directions.append(plan)
    return _without_secrets(ResourcePlan(result, directions)) if directions else None


def _without_secrets(plan: ResourcePlan) -> ResourcePlan:
    """Scrub every secret value of the resource from the plan's texts (placeholders are already in the
    commands; this catches a value that reached a text any other way, e.g. a patch's context lines)."""
    secrets = sensitivity_of(plan.resource).values
    plan.secrets = secrets
    if not secrets:
        return plan
    for dp in plan.directions:
        dp.summary = scrub_text(dp.summary, secrets)
        dp.aws_calls = [_shown_scrubbed(c, secrets) for c in dp.aws_calls]
        dp.commands = [Command(scrub_text(c.text, secrets), scrub_text(c.effect, secrets), c.kind) for c in dp.commands]
        dp.notes = [scrub_text(n, secrets) for n in dp.notes]
        dp.risks = [Risk(r.kind, scrub_text(r.text, secrets)) for r in dp.risks]
        for patch in dp.patches:
            diff = scrub_text(patch.diff, secrets)
            if diff != patch.diff:
                patch.diff = diff
                patch.patched = scrub_text(patch.patched, secrets)
                patch.original = scrub_text(patch.original, secrets)
                dp.validated = False
                dp.notes.append(f"{patch.file} holds a sensitive value near the change: it is shown as {MARKER} in the "
                                "patch, which therefore will not apply as is; make the change by hand")
    return plan


def _shown_scrubbed(call: AwsCall, secrets: frozenset[str]) -> AwsCall:
    """The call with scrubbed shown params when its params carry a secret no placeholder stands for."""
    shown = scrub(call.display_params, secrets)
    return call if shown == call.display_params else replace(call, shown_params=shown)


# ---------------------------------------------------------------------------------------------
# Where the configuration is
# ---------------------------------------------------------------------------------------------


def locate(result: ResourceResult, workspace: Path) -> LocatedBlock | None:
    """The block declaring `result` (through local and installed modules; the base block when an
    override file also names it), starting with the file the scan's evaluation named."""
    if not result.address:
        return None
    root = config_root(result, workspace)
    hint: Path | None = None
    if result.source is not None and result.source.file:
        candidate = Path(result.source.file)
        hint = candidate if candidate.is_absolute() else root / candidate
        if not hint.exists():
            hint = (workspace if workspace.is_dir() else workspace.parent) / candidate
    return locate_block(root, result.address, hint)


def _tf(result: ResourceResult, options: PlanOptions, args: str) -> str:
    return f"terraform {chdir_flag(config_root(result, options.workspace), options.workspace)}{args}"


# ---------------------------------------------------------------------------------------------
# Directions
# ---------------------------------------------------------------------------------------------


def _revert(result: ResourceResult, options: PlanOptions) -> DirectionPlan | None:
    calls = revert_calls(result)
    if result.status == Status.UNMANAGED:
        if not calls.calls:
            return None
        plan = DirectionPlan(
            Direction.REVERT,
            f"remove {result.type} {result.id}, which no Terraform resource manages",
            aws_calls=calls.calls, answered=calls.answered, notes=calls.notes,
            safe_to_apply=calls.kinds <= SAFE_KINDS,
        )
        plan.commands = [Command(c.cli(), c.effect, "aws") for c in calls.calls]
        return plan
    address = shell_quote(result.address or "")
    replaced, decided_by = replacement_decision(result)
    commands = [Command(_tf(result, options, f"plan -target={address}"), "preview: shows exactly what Terraform would change", "terraform")]
    if replaced:
        commands.append(Command(_tf(result, options, f"apply -replace={address}"),
                                f"destroy and re-create {result.address} from code ({', '.join(replaced)} cannot change in place)",
                                "terraform"))
    else:
        commands.append(Command(_tf(result, options, f"apply -target={address}"),
                                f"set every drifted attribute of {result.address} back to the code's value", "terraform"))
    paths = [d.path for d in result.differences if d.side == "live"]
    unanswered = [p for p in paths if p not in calls.answered]
    commands.extend(Command(c.cli(), c.effect, "aws") for c in calls.calls)
    notes = list(calls.notes)
    notes.append(f"{'replacement' if replaced else 'in-place update'} decided by {decided_by}")
    if result.revert_plan is not None:
        # The provider's plan says what `terraform apply` of the code does to the live object.
        computed = [] if result.revert_plan.action != "no-op" else paths
        if computed:
            notes.append(
                f"the provider plans no change to the live {result.address} from its code: the code leaves "
                f"{', '.join(computed)} to the provider (unset or computed), so `terraform apply` keeps the live value; "
                "revert it with the resource that manages it, or set it in code first"
            )
            computed = []
    else:
        computed = sorted({p.split(".", 1)[0].split("[", 1)[0] for p in paths}
                          & adopt_mod.COMPUTED_WHEN_UNSET.get(result.type, frozenset()))
    located = locate(result, options.workspace) if computed else None
    if located is not None:
        block = located.block
        computed = [n for n in computed if block.attribute(n) is None and not block.blocks_named(n)]
    if computed:
        notes.append(
            f"the code does not set {', '.join(computed)} of {result.address}, so Terraform treats it as computed: "
            "`terraform apply` leaves the live value alone; the resource that manages it (e.g. "
            "aws_s3_bucket_versioning for a bucket's versioning) is the one to revert"
        )
    if unanswered:
        notes.append("no AWS CLI equivalent generated for " + ", ".join(unanswered) + "; use the terraform command")
    return DirectionPlan(
        Direction.REVERT,
        f"bring live {result.address} back to code ({len(paths)} attribute{'' if len(paths) == 1 else 's'})",
        commands=commands,
        aws_calls=calls.calls,
        notes=notes,
        answered=paths,  # terraform apply answers every difference
        unanswered=[],
        safe_to_apply=bool(calls.calls) and not unanswered and not replaced and calls.kinds <= SAFE_KINDS,
    )


def _adopt(result: ResourceResult, options: PlanOptions) -> DirectionPlan:
    paths = [d.path for d in result.differences if d.side == "live"]
    located = locate(result, options.workspace)
    summary = f"make the code of {result.address} say what live says"
    if located is None:
        return DirectionPlan(
            Direction.ADOPT, summary, unanswered=paths,
            notes=[f"no `resource` block for {result.address} found under {config_root(result, options.workspace)}"],
            validated=False,
        )
    if located.in_installed_module:
        where = shown_path(located.path, options.workspace)
        return DirectionPlan(
            Direction.ADOPT, f"{summary} ({where}:{located.line}; manual: in an installed module)", unanswered=paths,
            notes=[f"{result.address} is declared in {where}:{located.line}, a module copy `terraform init` installed: "
                   "a patch there would be undone by the next init; change the module's source or its inputs instead"],
            validated=False,
        )
    collector = collector_for(result.type)
    adopted = adopt_mod.adopt_patch(
        result, located, workspace=options.workspace,
        json_attributes=collector.json_attributes if collector else frozenset(),
        set_attributes=collector.set_attributes if collector else frozenset(),
    )
    where = f"{located.path.name}:{located.line}"
    if not adopted.patch and adopted.unanswered:
        # Nothing could be written into the code: say so up front rather than look like a patch plan.
        where += f"; manual: nothing could be patched ({len(adopted.unanswered)} attribute" \
                 f"{'' if len(adopted.unanswered) == 1 else 's'} to change by hand)"
    plan = DirectionPlan(
        Direction.ADOPT, f"{summary} ({where})",
        patches=[adopted.patch] if adopted.patch else [],
        answered=adopted.answered, unanswered=adopted.unanswered, notes=adopted.notes, validated=adopted.validated,
        validated_paths=adopted.validated_paths,
    )
    index = parse_address(result.address or "").index if result.address else None
    if adopted.patch and index is not None:
        plan.risks.append(Risk(
            "note", f"this block declares every instance of {parse_address(result.address or '').resource} "
                    f"(count/for_each): the patch changes all of them, not only [{index}]; if only this instance "
                    "drifted, make the value depend on count.index / each.key instead"))
        plan.risks.extend(direction_risks(result, Direction.ADOPT))
    if adopted.patch:
        plan.commands = [
            Command(f"git apply {PATCH_PLACEHOLDER}", "apply the patch to the working tree", "shell"),
            Command(_tf(result, options, f"plan -target={shell_quote(result.address or '')}"),
                    "check: Terraform should now report no change for this resource" if not adopted.unanswered else
                    "check: Terraform should now report changes only for what is left for manual work ("
                    + ", ".join(adopted.unanswered) + ") until that is done by hand", "terraform"),
            Command(_tf(result, options, f"apply -refresh-only -target={shell_quote(result.address or '')}"),
                    "record the live values in state (changes nothing in AWS), so code, state and live agree", "terraform"),
        ]
    return plan


def _import(result: ResourceResult, options: PlanOptions, ctx: AwsContext | None, taken: set[str]) -> DirectionPlan | None:
    name = importing.resource_name(result.id, taken)
    address = f"{result.type}.{name}"
    rid = importing.import_id(result)
    notes: list[str] = []
    rejected: list[str] = []
    generated, fallback_reason = provider_import(result, options, ctx, rid)
    if generated is not None:
        try:
            resource_text, variables = importing.generated_resource_text(name, generated)
        except TypeError as exc:  # a value HCL cannot spell: the tables' block is better than none
            generated, fallback_reason = None, f"the provider's object could not be written as HCL: {exc}"
    if generated is not None:
        body = importing.import_block(address, rid) + "\n" + resource_text
        validated = generated.verified
        notes.append(f"resource block written by {generated.decided_by} (ImportResourceState + ReadResource, "
                     "arguments from its schema)")
        if generated.verified:
            notes.append("checked with the provider's own plan: after the import, `terraform plan` shows no change")
        elif generated.remaining:
            notes.append("the provider still plans a change after the import for "
                         + ", ".join(sorted({d.path for d in generated.remaining})))
        rejected = sorted(generated.rejected)
        if rejected:
            notes.append(f"live {', '.join(rejected)} refused by the provider's validation: written as a comment; "
                         "`terraform plan` will show a change for it")
        notes.extend(generated.warnings)
        if variables:
            notes.append("sensitive values are not written: set " + ", ".join(f"TF_VAR_{v}" for v in variables)
                         + " to the live value before `terraform plan`")
    else:
        if ctx is not None:
            result = enrich_live(result, ctx)
        arguments = importing.resource_arguments(result)
        rejected = [k for k, v in arguments.items() if importing.out_of_range(result.type, k, v) is not None]
        body = importing.import_block(address, rid) + "\n" + importing.resource_block(result.type, name, arguments)
        validated = _validate_generated(body, result.type, name, {k: v for k, v in arguments.items() if k not in rejected})
        notes.append(f"resource block written from driftdeck's import tables ({fallback_reason})")
    root = options.workspace if options.workspace.is_dir() else options.workspace.parent
    file_name = f"import_{name}.tf"
    patch = forget_mod.new_file_patch(root / file_name, body, options.workspace)
    plan = DirectionPlan(
        Direction.IMPORT,
        f"bring {result.type} {result.id} under Terraform as {address}",
        patches=[patch],
        commands=[
            Command(f"git apply {PATCH_PLACEHOLDER}", f"add {file_name} with the import and resource blocks", "shell"),
            Command("terraform plan", f"check: shows `{address}` will be imported with no other change", "terraform"),
            Command("terraform apply", "records the import in state (nothing changes live)", "terraform"),
        ],
        answered=[result.key],
        validated=validated,
        notes=notes,
    )
    if rejected and generated is None:
        plan.notes.append(f"live {', '.join(rejected)} outside what the provider accepts: written as a comment; "
                          "`terraform plan` will show a change for it")
    plan.unanswered.extend(rejected)
    if result.parent:
        plan.notes.append(f"this is a piece of {result.parent}; importing it as its own resource means the parent "
                          "should manage that direction's rules through rule resources only")
    return plan


def provider_import(
    result: ResourceResult, options: PlanOptions, ctx: AwsContext | None, rid: str
) -> tuple[GeneratedConfig | None, str]:
    """The provider's configuration for an unmanaged object (import + read through the workspace's
    provider, arguments from its schema), or None and why the import tables decide instead."""
    session = ctx.providers if ctx is not None else None
    if ctx is None or session is None:
        return None, "no provider session for this plan"
    # The provider stack (gRPC session, schema shaping, config generation) costs every planner
    # import 0.2-0.4x a scan's start-up, and only the import direction with a provider session uses it.
    from driftdeck.core.live.collectors.provider_backed import (
        import_provider,  # deferred: provider stack start-up (bench/import_time.py)
    )
    from driftdeck.core.live.provider.client import (
        ProviderError,  # deferred: provider stack start-up (bench/import_time.py)
    )
    from driftdeck.core.live.provider.generate import (
        generate_config,  # deferred: provider stack start-up (bench/import_time.py)
    )
    from driftdeck.core.live.provider.session import (
        ProviderUnavailable,  # deferred: provider stack start-up (bench/import_time.py)
    )
    from driftdeck.core.live.provider.shaping import (
        ShapeError,  # deferred: provider stack start-up (bench/import_time.py)
    )

    try:
        region = result.region or ctx.default_region
        provider, code_region = import_provider(ctx, session, config_root(result, options.workspace), region)
        generated = generate_config(provider, result.type, rid)
    except ProviderUnavailable as exc:
        return None, f"no provider: {exc}"
    except (ProviderError, CtyError, ShapeError, KeyError, TypeError, ValueError) as exc:
        return None, f"the provider could not import it: {exc}"
    except Exception as exc:  # noqa: BLE001 - botocore's NoCredentialsError etc.: the tables still answer
        return None, f"no provider: {exc}"
    if code_region and code_region != region:
        generated.verified = False  # as written, the workspace's terraform would look in the other region
        generated.warnings += (
            f"the object is in {region} but the workspace's default aws provider is in {code_region}: give the "
            f"resource and the import block `provider = aws.<alias>` of a configuration in {region}",)
    return generated, ""


def _validate_generated(body: str, rtype: str, name: str, arguments: dict[str, object]) -> bool:
    try:
        parsed = resource_body(body, rtype, name)
    except Exception:  # noqa: BLE001 - a generated block that does not parse fails validation
        return False
    if parsed is None:
        return False
    return not compare_attributes(parsed, dict(arguments), json_attributes=importing.JSON_ARGUMENTS)


def enrich_live(result: ResourceResult, ctx: AwsContext) -> ResourceResult:
    """Discovery lists only a few attributes; read the object fully before writing code for it."""
    collector = collector_for(result.type)
    if collector is None:
        return result
    live = result.live or {}
    attributes = {**live, "id": result.id}
    for key in ("bucket", "name", "arn", "url"):
        if key in live:
            attributes.setdefault(key, live[key])
    desired = DesiredResource(address="", type=result.type, id=result.id, attributes=attributes,
                              source=SourceRef(kind="terraform"))
    try:
        outcome = collector.read(ctx, result.region or ctx.default_region, [desired])[0]
    except Exception:  # noqa: BLE001 - keep what discovery gave; the plan says what it wrote
        return result
    if outcome.live is None:
        return result
    return replace(result, live={**live, **outcome.live.attributes})


def combined_patch(plans: list[ResourcePlan], directions: frozenset[Direction] | None = None) -> str:
    """One patch for the plan: per file, every code change of the chosen directions applied in turn."""
    chosen: list[FilePatch] = []
    for plan in plans:
        default = {Status.CHANGED: Direction.ADOPT, Status.UNMANAGED: Direction.IMPORT, Status.MISSING: Direction.FORGET}
        wanted = directions or frozenset({default.get(plan.resource.status, Direction.ADOPT)})
        for dp in plan.directions:
            if dp.direction in wanted:
                chosen.extend(dp.patches)
    return forget_mod.merge_patches(chosen)
