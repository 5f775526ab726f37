"""A tool process without its binary prints the hint and stays up (honcho would stop all)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import lab_env, lab_process, wait_until


@pytest.mark.integration
@pytest.mark.parametrize("verb", ["prometheus", "grafana"])
def test_missing_binary_idles_with_a_hint(verb: str, lab_home: Path) -> None:
    empty = lab_home / "empty-path"
    empty.mkdir()
    env = lab_env(lab_home, PATH=str(empty))
    with lab_process([verb], env, lab_home / f"{verb}.log") as proc:
        wait_until(lambda: "Staying idle" in proc.log(), 60, f"the {verb} hint")
        assert proc.proc.poll() is None, proc.log()
        assert f"lab fetch {verb}" in proc.log()
