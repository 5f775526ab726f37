"""lab/acceptance/checks/_scratch_registry.py: one helper process answers every step of
M3.promote, and MLflow makes no store of its own in the working folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.acceptance.checks import CheckError
from lab.acceptance.checks._scratch_registry import ScratchRegistry


def test_one_helper_seeds_scores_and_reads_the_scratch_registry(tmp_path: Path) -> None:
    uri = (tmp_path / "mlruns").as_uri()
    with ScratchRegistry(uri, "churn-model", tmp_path) as registry:
        assert registry.ask("seed", 120) == {"champion": 1, "versions": [1]}
        pid = registry._proc.pid
        assert registry.ask("1.5", 60) == {"champion": 1, "versions": [1]}
        with pytest.raises(CheckError, match="cannot use the scratch registry: ValueError"):
            registry.ask("not-a-score", 60)
        assert registry.ask("-", 60) == {"champion": 1, "versions": [1]}  # still answering
        assert registry._proc.pid == pid
    assert registry._proc.returncode is not None  # ended with its input
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mlruns"]  # no mlflow.db beside it
