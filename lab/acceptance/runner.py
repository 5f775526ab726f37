"""Running a rubric's checks one by one, each with a hard timeout, into a `RunResult`."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from lab.acceptance import fallback, reuse
from lab.acceptance.checks import (
    CHECK_KINDS,
    CheckContext,
    CheckError,
    CheckFailed,
    CheckSkipped,
    Outcome,
    Status,
)
from lab.acceptance.checks._base import CheckKind, CheckKinds, Lane, short
from lab.acceptance.results import SCHEMA, CriterionResult, ModuleResult, RunResult, base_versions
from lab.acceptance.rubric import Criterion, Module, Rubric, anchor
from lab.acceptance.scoring import Score, criterion_points, module_score
from lab.settings import lab_roots

#: Extra seconds a check's thread gets past its own timeout before it is abandoned.
GRACE_SECONDS = 2.0
#: Checks of kinds scheduled early (Lane.ISOLATED, Lane.CONCURRENT; checks._base.Schedule)
#: run this many at a time beside the live ones, started first.
EARLY_WORKERS = 4


@dataclass(frozen=True)
class Events:
    """Callbacks for progress display; every one is optional."""

    criterion_started: Callable[[Module, Criterion], None] = lambda m, c: None
    criterion_done: Callable[[Module, CriterionResult], None] = lambda m, r: None
    module_done: Callable[[ModuleResult], None] = lambda r: None


def run_criterion(
    criterion: Criterion, ctx: CheckContext, kinds: CheckKinds = CHECK_KINDS
) -> tuple[Outcome, float]:
    """Run one check in a worker thread; past its timeout it fails (the thread is abandoned)."""
    kind = kinds.get(criterion.kind)
    if kind is None:  # load_rubric rejects these; kept for rubrics built in code
        return Outcome(Status.FAIL, f"unknown check kind {criterion.kind!r}"), 0.0
    timeout = kind.params.schedule.timeout_for(criterion.timeout)
    ctx = dataclasses.replace(ctx, timeout=timeout)  # the facts stay shared
    box: list[Outcome] = []

    def work() -> None:
        box.append(_outcome(kind, criterion, ctx))

    started = time.monotonic()
    worker = threading.Thread(target=work, name=f"check-{criterion.id}", daemon=True)
    worker.start()
    worker.join(timeout + GRACE_SECONDS)
    elapsed = time.monotonic() - started
    if not box:
        return Outcome(
            Status.ERROR,
            f"no result within its {timeout:g} s time budget: give it more with `timeout:` on "
            f"{criterion.id} in the rubric, or grade on a less loaded machine",
        ), elapsed
    return box[0], elapsed


def not_applicable(
    criteria: Sequence[Criterion], ctx: CheckContext, kinds: CheckKinds = CHECK_KINDS
) -> dict[str, str]:
    """id -> why, for the criteria that cannot apply to the project graded (a kind that grades
    exercise workspaces only, outside one): left out of the run and of the maximum."""
    if ctx.workspace is not None:
        return {}
    found = {c.id: kinds.get(c.kind) for c in criteria}
    return {
        cid: why
        for cid, k in found.items()
        if k and (why := k.params.schedule.workspace_only) is not None
    }


def applicable(module: Module, ctx: CheckContext, kinds: CheckKinds = CHECK_KINDS) -> Module:
    """`module` without the criteria that cannot apply to the project graded."""
    left_out = not_applicable(module.criteria, ctx, kinds)
    if not left_out:
        return module
    kept = [c for c in module.criteria if c.id not in left_out]
    return module.model_copy(update={"criteria": kept})


def _early(criterion: Criterion, registry: CheckKinds) -> bool:
    kind = registry.get(criterion.kind)
    return bool(kind and kind.params.schedule.early)


def _start_early(
    criteria: Sequence[Criterion], ctx: CheckContext, kinds: CheckKinds
) -> dict[str, Future[tuple[Outcome, float]]]:
    """Start the early criteria in a pool: the ones that wait on a live service first (they
    sleep), then the rest, slowest kinds (the project's interpreter) before the quick ones."""
    early = [c for c in criteria if _early(c, kinds)]
    early.sort(key=lambda c: (not _concurrent(c, kinds), -c.effective_timeout()))
    pool = ThreadPoolExecutor(EARLY_WORKERS, thread_name_prefix="early-check")
    futures = {c.id: pool.submit(run_criterion, c, ctx, kinds) for c in early}
    pool.shutdown(wait=False)
    return futures


def _concurrent(criterion: Criterion, registry: CheckKinds) -> bool:
    kind = registry.get(criterion.kind)
    return bool(kind and kind.params.schedule.lane is Lane.CONCURRENT)


def _outcome(kind: CheckKind, criterion: Criterion, ctx: CheckContext) -> Outcome:
    kept_as = None
    try:
        params = kind.params.model_validate(
            {k: v for k, v in criterion.check.items() if k != "kind"}
        )
        if kind.params.schedule.reusable and ctx.reuse is not None:
            kept_as = reuse.key(kind.name, params.model_dump(mode="json"), ctx.python,
                                ctx.project_dir, ctx.facts)  # fmt: skip
            kept = ctx.reuse.get(kept_as) if kept_as else None
            if kept is not None:
                return Outcome(Status.PASS, reuse.reused(kept))
        result = kind.run(params, ctx)
    except CheckFailed as exc:
        return Outcome(Status.FAIL, str(exc), hint=exc.hint, hint_zh_tw=exc.hint_zh_tw)
    except CheckSkipped as exc:
        return Outcome(Status.SKIP, str(exc))
    except CheckError as exc:
        return Outcome(Status.ERROR, str(exc))
    except Exception as exc:  # a check's own bug must not stop the run: it fails, visibly
        return Outcome(Status.FAIL, f"the check crashed: {type(exc).__name__}: {short(str(exc))}")
    outcome = result if isinstance(result, Outcome) else Outcome(Status.PASS, str(result))
    if kept_as and ctx.reuse is not None and outcome.status is Status.PASS:
        ctx.reuse.put(kept_as, outcome.observed)
    return outcome


def run_rubric(
    rubric: Rubric,
    ctx: CheckContext,
    modules: Sequence[str] | None = None,
    events: Events | None = None,
    kinds: CheckKinds = CHECK_KINDS,
) -> RunResult:
    """Run every criterion of the selected modules (all by default) in rubric order."""
    events = events or Events()
    chosen = [rubric.module(m) for m in modules] if modules else list(rubric.modules)
    left_out = not_applicable([c for m in chosen for c in m.criteria], ctx, kinds)
    selected = [applicable(m, ctx, kinds) for m in chosen]
    started_at, t0 = datetime.now(UTC), time.monotonic()
    versions = base_versions()
    every = [c for module in selected for c in module.criteria]
    early = _start_early(every, ctx, kinds)
    done: dict[str, tuple[Outcome, float]] = {}
    module_results: list[ModuleResult] = []

    def finish(block: bool) -> None:
        """Report the modules, in rubric order, whose every criterion has a result."""
        while len(module_results) < len(selected):
            module = selected[len(module_results)]
            pending = [c for c in module.criteria if c.id not in done]
            if any(c.id not in early for c in pending):
                return  # a live criterion of this module has not run yet
            if not block and any(not early[c.id].done() for c in pending):
                return
            for c in pending:
                done[c.id] = early[c.id].result()
            results = []
            for c in module.criteria:
                outcome, elapsed = done[c.id]
                versions.update(outcome.facts)
                results.append(
                    _criterion_result(rubric, c, outcome, elapsed, ctx.workspace is not None)
                )
                if c.id in early:  # reported now; live ones were reported as they ran
                    events.criterion_started(module, c)
                    events.criterion_done(module, results[-1])
            graded, results, fell_back = fallback.resolve(module, results)
            left_out.update(fell_back)
            module_results.append(_module_result(rubric, graded, results))
            events.module_done(module_results[-1])

    # The live criteria run one at a time in rubric order (they call the API, count its
    # requests, stop the CRM), without waiting for the early ones, except where an early
    # `concurrent` one comes first in the rubric: what follows it may build on what it saw.
    for module in selected:
        for criterion in module.criteria:
            if criterion.id in early:
                continue
            for before in every[: every.index(criterion)]:
                if _concurrent(before, kinds):
                    early[before.id].result()
            events.criterion_started(module, criterion)
            done[criterion.id] = run_criterion(criterion, ctx, kinds)
            outcome, elapsed = done[criterion.id]
            events.criterion_done(
                module,
                _criterion_result(rubric, criterion, outcome, elapsed, ctx.workspace is not None),
            )
            finish(block=False)
    finish(block=True)
    total = Score(0, 0)
    for m in module_results:
        total = total + Score(m.points, m.max_points)
    all_criteria = [c for m in module_results for c in m.criteria]
    counts = {s.value: sum(1 for c in all_criteria if c.status == s.value) for s in Status}
    return RunResult(
        schema=SCHEMA,
        title=rubric.title,
        started_at=started_at.isoformat(timespec="seconds"),
        finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
        duration_seconds=round(time.monotonic() - t0, 2),
        points=total.points,
        max_points=total.max_points,
        percent=total.percent,
        color=rubric.badges.colour_for(total.percent),
        badge_label=rubric.badges.label,
        passed=bool(all_criteria) and counts["pass"] == len(all_criteria),
        counts=counts,
        targets=dict(vars(ctx.targets)),
        project_dir=str(ctx.project_dir),
        project=str(ctx.project_dir),
        docs_base=docs_base(rubric, ctx.project_dir),
        rubric={"path": rubric.source, "sha256": rubric.sha256, "version": str(rubric.version)},
        versions=versions,
        modules=module_results,
        not_applicable=left_out,
    )


def docs_base(rubric: Rubric, project_dir: Path) -> str:
    """Where the guides' links point: `docs.base_url`, else the graded project when it has the
    guide, else the lab's own copy (the checkout's, or the one a wheel installed)."""
    if rubric.docs.base_url:
        return rubric.docs.base_url
    project = project_dir.resolve()
    found = next((r for r in (project, *lab_roots()) if (r / rubric.docs.en).is_file()), project)
    return found.as_uri() + "/"


def _module_result(rubric: Rubric, module: Module, results: list[CriterionResult]) -> ModuleResult:
    score = module_score(module, {r.id: Status(r.status) for r in results})
    return ModuleResult(
        id=module.id,
        title=module.title,
        title_zh_tw=module.title_zh_tw,
        points=score.points,
        max_points=score.max_points,
        percent=score.percent,
        color=rubric.badges.colour_for(score.percent),
        docs=f"{rubric.docs.en}#{anchor(module.id)}",
        docs_zh_tw=f"{rubric.docs.zh_tw}#{anchor(module.id)}",
        criteria=results,
    )


def _criterion_result(
    rubric: Rubric, criterion: Criterion, outcome: Outcome, elapsed: float, in_workspace: bool
) -> CriterionResult:
    """The result row; in a workspace the rubric's hint is the one naming the learner's commands."""
    hint, hint_zh_tw = criterion.hint, criterion.hint_zh_tw
    if in_workspace and criterion.hint_workspace:
        hint, hint_zh_tw = criterion.hint_workspace, criterion.hint_workspace_zh_tw
    return CriterionResult(
        id=criterion.id,
        title=criterion.title,
        title_zh_tw=criterion.title_zh_tw,
        kind=criterion.kind,
        weight=criterion.weight,
        status=outcome.status.value,
        points=criterion_points(criterion.weight, outcome.status),
        observed=outcome.observed,
        hint=outcome.hint or hint,
        hint_zh_tw=outcome.hint_zh_tw or (None if outcome.hint else hint_zh_tw),
        docs=f"{rubric.docs.en}#{anchor(criterion.id)}",
        docs_zh_tw=f"{rubric.docs.zh_tw}#{anchor(criterion.id)}",
        duration_seconds=round(elapsed, 3),
        timeout_seconds=criterion.effective_timeout(),
        course=list(criterion.course),
    )
