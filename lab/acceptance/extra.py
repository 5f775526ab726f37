"""The instructor's extra rubric (`--extra-rubric FILE`): hidden criteria added to the public ones.

Same criterion format as config/rubric.yml, grouped under the public modules they belong to:

    version: 1
    modules:
      - id: M4
        criteria:
          - {id: M4.hidden_other_customer, title: ..., weight: 5, check: ..., hint: ...}

Each hidden criterion adds its weight to its module (a module worth 15 public points with 5 hidden
ones is graded out of 20), so public scores change only through the hidden criteria themselves.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, ValidationError

from lab.acceptance._yaml_lines import YamlError, line_of, load_with_lines
from lab.acceptance.policy import Policy
from lab.acceptance.results import RunResult
from lab.acceptance.rubric import MODULE_ID, Criterion, Rubric, RubricError, _check_kinds


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExtraModule(_Strict):
    id: str = Field(pattern=rf"^{MODULE_ID}$")
    points: PositiveInt | None = None  # optional; when given, the weights must add up to it
    criteria: list[Criterion] = Field(min_length=1)


class ExtraRubric(_Strict):
    version: Literal[1]
    title: str = "instructor's checks"
    policy: Policy | None = None
    modules: list[ExtraModule] = Field(min_length=1)
    source: str = ""
    sha256: str = ""

    @property
    def total_points(self) -> int:
        return sum(c.weight for m in self.modules for c in m.criteria)

    def criterion_ids(self) -> list[str]:
        return [c.id for m in self.modules for c in m.criteria]


def load_extra_rubric(path: Path, public: Rubric, raw: bytes | None = None) -> ExtraRubric:
    """Read and validate `path` (or its bytes `raw`, as `lab grade` hands them over on stdin)
    against the public rubric it extends; `RubricError` on a fault."""
    try:
        raw = path.read_bytes() if raw is None else raw
        data, lines = load_with_lines(raw.decode("utf-8"))
    except OSError as exc:
        raise RubricError(path, f"cannot read the extra rubric: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise RubricError(path, f"not UTF-8 text ({exc.reason})") from None
    except YamlError as exc:
        raise RubricError(path, str(exc), exc.line) from None
    if not isinstance(data, dict):
        raise RubricError(path, "the extra rubric must be a mapping with version and modules", 1)
    try:
        extra = ExtraRubric.model_validate(
            {**data, "source": str(path), "sha256": hashlib.sha256(raw).hexdigest()}
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        field = ".".join(str(p) for p in loc) or "extra rubric"
        raise RubricError(path, f"{field}: {err['msg']}", line_of(lines, loc)) from None
    _check_against_public(extra, public, data, lines, path)
    _check_kinds(extra, lines, path)  # type: ignore[arg-type]  # same shape: .modules[].criteria
    return extra


def _check_against_public(
    extra: ExtraRubric, public: Rubric, data: dict[str, Any], lines: dict, path: Path
) -> None:
    public_ids = {c.id for m in public.modules for c in m.criteria}
    seen: set[str] = set()
    for i, module in enumerate(extra.modules):
        try:
            public.module(module.id)
        except KeyError:
            known = ", ".join(m.id for m in public.modules)
            raise RubricError(
                path,
                f"module {module.id} is not in the public rubric (it has {known})",
                line_of(lines, ("modules", i, "id")),
            ) from None
        weights = sum(c.weight for c in module.criteria)
        if module.points is not None and module.points != weights:
            raise RubricError(
                path,
                f"criteria weights add up to {weights} but the module says {module.points} points",
                line_of(lines, ("modules", i, "points")),
                module.id,
            )
        for j, crit in enumerate(module.criteria):
            line = line_of(lines, ("modules", i, "criteria", j, "id"))
            if not crit.id.startswith(module.id + "."):
                raise RubricError(
                    path, f"criterion {crit.id} must start with {module.id}.", line, module.id
                )
            if crit.id in public_ids or crit.id in seen:
                raise RubricError(path, f"criterion id {crit.id} used twice", line, module.id)
            seen.add(crit.id)
    announced = public.policy.hidden_points
    if announced and extra.total_points != announced:
        raise RubricError(
            path,
            f"these criteria grade {extra.total_points} points, but the public rubric "
            f"({public.source}) tells learners the instructor's checks grade {announced} "
            "(policy.hidden_points): make them agree",
            line_of(lines, ("modules",)),
        )


def merge(public: Rubric, extra: ExtraRubric) -> Rubric:
    """The public rubric with each hidden criterion appended to its module (points added)."""
    added: dict[str, list[Criterion]] = {}
    for module in extra.modules:
        added.setdefault(public.module(module.id).id, []).extend(module.criteria)
    modules = [
        m.model_copy(
            update={
                "points": m.points + sum(c.weight for c in added.get(m.id, [])),
                "criteria": [*m.criteria, *added.get(m.id, [])],
            }
        )
        for m in public.modules
    ]
    return public.model_copy(
        update={"modules": modules, "policy": public.policy.merged(extra.policy)}
    )


def hidden_summary(public: Rubric, extra: ExtraRubric | None) -> dict[str, Any]:
    """What a run's results say about the instructor's checks (RunResult.hidden)."""
    if extra is None:
        return {"points": public.policy.hidden_points, "ran": False, "criteria": []}
    return {"points": extra.total_points, "ran": True, "criteria": extra.criterion_ids()}


def with_extra(
    public: Rubric, path: Path | None, raw: bytes | None = None
) -> tuple[Rubric, dict[str, Any]]:
    """The rubric to run (public + the extra file's criteria, if any) and its `hidden` summary;
    `raw`: the extra file's bytes, read already (from stdin)."""
    if path is None:
        return public, hidden_summary(public, None)
    extra = load_extra_rubric(path, public, raw)
    return merge(public, extra), hidden_summary(public, extra)


def record_hidden(result: RunResult, hidden: dict[str, Any]) -> None:
    """Note the instructor's checks in `result`. `passed` stays what this run saw (every
    criterion it graded passed); whether the instructor's checks ran is `hidden["ran"]`, and the
    verdict (lab.acceptance.formats.verdict) says both."""
    result.hidden = hidden
