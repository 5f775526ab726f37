"""lab/acceptance/checks/promotion.py: what the champion must do after each training."""

from __future__ import annotations

import pytest

from lab.acceptance.checks import CHECK_KINDS, CheckFailed
from lab.acceptance.checks.promotion import _judge


def test_a_more_accurate_model_must_take_champion() -> None:
    assert "moved to version 2" in _judge(0, 1, 2, 2, "v1")
    with pytest.raises(CheckFailed, match="did not take champion"):
        _judge(0, 1, 1, 2, "v1")  # never promotes


def test_a_less_accurate_model_must_leave_the_champion() -> None:
    assert "stayed at version 2" in _judge(1, 2, 2, 3, "v2")
    with pytest.raises(CheckFailed, match="took champion from version 2"):
        _judge(1, 2, 3, 3, "v2")  # always promotes


def test_the_kind_grades_workspaces_only() -> None:
    kind = CHECK_KINDS.get("promotion_gate")
    assert kind is not None and kind.params.schedule.workspace_only
