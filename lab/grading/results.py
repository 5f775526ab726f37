"""What grading one learner gives: its options, each attempt (`lab check` at one commit), the
grade."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab.acceptance.policy import Policy
from lab.grading.bounds import Limits
from lab.grading.roster import Learner
from lab.grading.snapshot import Snapshot

#: The note every grade and feedback made without a sandbox carries.
UNSANDBOXED = (
    "graded without a sandbox (--trust-workspaces): the workspace's code ran as the grader"
)


@dataclass(frozen=True)
class Options:
    rubric: Path
    extra_rubric: Path | None  # where the hidden rubric came from (named in the evidence only)
    policy: Policy
    budget: float  # seconds per learner, everything included
    no_tests: bool = False
    lab_wait: float = 120.0  # at most this long for a workspace's lab to answer
    trust: bool = False  # --trust-workspaces: no sandbox
    limits: Limits = field(default_factory=Limits)
    #: the hidden rubric's bytes, read once by `lab grade`: handed to each `lab check` on stdin
    #: (its $seed inputs rendered for that learner: lab.authoring.seeded)
    hidden: bytes | None = None
    #: the instructor's course (its solutions for the mutants), given to `lab check` as LAB_COURSE
    course: Path | None = None
    #: the rubric's module ids, grades.csv's columns (empty: the lab's M1..M6)
    modules: tuple[str, ...] = ()


@dataclass
class Attempt:
    """One `lab check` run of a learner (a workspace at one commit, or the learner's URLs)."""

    snapshot: Snapshot | None
    result: dict[str, Any] | None = None  # check.json
    exit_code: int | None = None
    problem: str = ""  # why there is no result
    notes: list[str] = field(default_factory=list)
    log_tail: str = ""
    lab_log_tail: str = ""  # the end of `lab up`'s log, for a lab `lab grade` ran
    seconds: float = 0.0
    #: the learner's committed progress.json (lab.grading.assigned), for the instructor only
    self_reported: dict[str, Any] | None = None

    @property
    def penalty(self) -> float:
        return self.snapshot.penalty_percent if self.snapshot else 0.0

    @property
    def score(self) -> float:
        """Points after the late penalty (0 without a result)."""
        if self.result is None:
            return 0.0
        return round(self.result["points"] * (100.0 - self.penalty) / 100.0, 1)

    @property
    def graded_max(self) -> int:
        """Points of the criteria this attempt could grade (not the ones it was given nothing
        to grade for: a service without a URL, the files of a row without a workspace)."""
        if self.result is None:
            return 0
        return int(self.result.get("graded_max", self.result["max_points"]))


@dataclass
class Grade:
    learner: Learner
    status: str  # complete | incomplete | late | unreachable | timeout | error
    attempts: list[Attempt]
    chosen: Attempt | None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def total(self) -> float:
        return self.chosen.score if self.chosen else 0.0

    @property
    def graded_max(self) -> int:
        return self.chosen.graded_max if self.chosen else 0

    def module_points(self) -> dict[str, int]:
        result = self.chosen.result if self.chosen else None
        if result is None:
            return {}
        return {m["id"]: m["points"] for m in result["modules"]}


Report = Callable[[str], None]
