"""Running a rubric's checks one by one, each with a hard timeout, into a `RunResult`."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from lab.acceptance.checks import (
    CHECK_KINDS,
    CheckContext,
    CheckError,
    CheckFailed,
    CheckSkipped,
    Outcome,
    Status,
)
from lab.acceptance.checks._base import CheckKind, CheckKinds, short
from lab.acceptance.results import SCHEMA, CriterionResult, ModuleResult, RunResult, base_versions
from lab.acceptance.rubric import Criterion, Module, Rubric, anchor
from lab.acceptance.scoring import Score, criterion_points, module_score

#: Extra seconds a check's thread gets past its own timeout before it is abandoned.
GRACE_SECONDS = 2.0
#: Checks of kinds marked `isolated` (they touch no live service: files, the project's
#: interpreter, tools) run this many at a time beside the others, started first.
ISOLATED_WORKERS = 3


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
    timeout = criterion.timeout or kind.params.default_timeout
    ctx = dataclasses.replace(ctx, timeout=timeout)  # the memo dict stays shared
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


def _isolated(criterion: Criterion, registry: CheckKinds = CHECK_KINDS) -> bool:
    kind = registry.get(criterion.kind)
    return bool(kind and kind.params.isolated)


def _outcome(kind: CheckKind, criterion: Criterion, ctx: CheckContext) -> Outcome:
    try:
        params = kind.params.model_validate(
            {k: v for k, v in criterion.check.items() if k != "kind"}
        )
        result = kind.run(params, ctx)
    except CheckFailed as exc:
        return Outcome(Status.FAIL, str(exc), hint=exc.hint, hint_zh_tw=exc.hint_zh_tw)
    except CheckSkipped as exc:
        return Outcome(Status.SKIP, str(exc))
    except CheckError as exc:
        return Outcome(Status.ERROR, str(exc))
    except Exception as exc:  # a check's own bug must not stop the run: it fails, visibly
        return Outcome(Status.FAIL, f"the check crashed: {type(exc).__name__}: {short(str(exc))}")
    return result if isinstance(result, Outcome) else Outcome(Status.PASS, str(result))


def run_rubric(
    rubric: Rubric,
    ctx: CheckContext,
    modules: Sequence[str] | None = None,
    events: Events | None = None,
) -> RunResult:
    """Run every criterion of the selected modules (all by default) in rubric order."""
    events = events or Events()
    selected = [rubric.module(m) for m in modules] if modules else list(rubric.modules)
    started_at, t0 = datetime.now(UTC), time.monotonic()
    versions = base_versions()
    module_results: list[ModuleResult] = []
    pool = ThreadPoolExecutor(ISOLATED_WORKERS, thread_name_prefix="isolated-check")
    early: dict[str, Future[tuple[Outcome, float]]] = {
        c.id: pool.submit(run_criterion, c, ctx)
        for module in selected
        for c in module.criteria
        if _isolated(c)
    }
    pool.shutdown(wait=False)
    for module in selected:
        statuses: dict[str, Status] = {}
        results: list[CriterionResult] = []
        for criterion in module.criteria:
            events.criterion_started(module, criterion)
            if criterion.id in early:
                outcome, elapsed = early[criterion.id].result()
            else:
                outcome, elapsed = run_criterion(criterion, ctx)
            versions.update(outcome.facts)
            statuses[criterion.id] = outcome.status
            result = _criterion_result(rubric, criterion, outcome, elapsed)
            results.append(result)
            events.criterion_done(module, result)
        score = module_score(module, statuses)
        module_result = ModuleResult(
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
        module_results.append(module_result)
        events.module_done(module_result)
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
        docs_base=rubric.docs.base_url or ctx.project_dir.resolve().as_uri() + "/",
        rubric={"path": rubric.source, "sha256": rubric.sha256, "version": str(rubric.version)},
        versions=versions,
        modules=module_results,
    )


def _criterion_result(
    rubric: Rubric, criterion: Criterion, outcome: Outcome, elapsed: float
) -> CriterionResult:
    return CriterionResult(
        id=criterion.id,
        title=criterion.title,
        title_zh_tw=criterion.title_zh_tw,
        kind=criterion.kind,
        weight=criterion.weight,
        status=outcome.status.value,
        points=criterion_points(criterion.weight, outcome.status),
        observed=outcome.observed,
        hint=outcome.hint or criterion.hint,
        hint_zh_tw=outcome.hint_zh_tw or (None if outcome.hint else criterion.hint_zh_tw),
        docs=f"{rubric.docs.en}#{anchor(criterion.id)}",
        docs_zh_tw=f"{rubric.docs.zh_tw}#{anchor(criterion.id)}",
        duration_seconds=round(elapsed, 3),
        timeout_seconds=criterion.effective_timeout(),
        course=list(criterion.course),
    )
