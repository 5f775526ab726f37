"""A rubric's grading policy: the points of the instructor's hidden checks, and a deadline."""

from __future__ import annotations

import math
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, NonNegativeInt

SECONDS_PER_DAY = 86_400


class Policy(BaseModel):
    """`policy:` in rubric.yml (public) or in an extra rubric (the instructor's; it wins)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Points the instructor's hidden criteria (`--extra-rubric`) grade, told to every learner.
    hidden_points: NonNegativeInt = 0
    #: Workspaces are graded at their last commit before this time (ISO 8601 with a zone).
    due: AwareDatetime | None = None
    #: Percent of the points taken off per started day a later commit is late.
    late_penalty_per_day: float = Field(default=0.0, ge=0, le=100)

    def merged(self, other: Policy | None) -> Policy:
        """This policy with the deadline of `other` (an extra rubric's) where it sets one."""
        if other is None:
            return self
        return self.model_copy(
            update={
                "due": other.due or self.due,
                "late_penalty_per_day": other.late_penalty_per_day or self.late_penalty_per_day,
            }
        )

    def days_late(self, when: datetime) -> int:
        """Started days between the due time and `when` (0 when on time or no deadline)."""
        if self.due is None or when <= self.due:
            return 0
        return math.ceil((when - self.due).total_seconds() / SECONDS_PER_DAY)

    def penalty_percent(self, when: datetime) -> float:
        """Percent taken off a submission made at `when` (at most 100)."""
        return min(100.0, self.days_late(when) * self.late_penalty_per_day)
