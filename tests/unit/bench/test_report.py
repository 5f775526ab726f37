"""The benchmark's ratios and their targets."""

from __future__ import annotations

import pytest
from rich.console import Console

from lab.bench.report import ratio_table, ratios, table
from lab.bench.runner import Measurement


def m(target: str, workload: str, c: int, rps: float, rows: int = 1) -> Measurement:
    return Measurement(target, workload, c, rps, rps * rows, 1.0, 2.0, int(rps), 0)


RUN = [
    m("lab", "single", 1, 4000), m("hello", "single", 1, 6000), m("mlflow", "single", 1, 250),
    m("lab", "single", 32, 5000), m("mlflow", "single", 32, 240),
    m("lab", "batch", 1, 90, 10_000), m("lab", "batch", 32, 120, 10_000),
]  # fmt: skip


def test_ratios_compare_measurements_of_the_same_run() -> None:
    found = {r.name: r for r in ratios(RUN)}
    vs_mlflow = found["lab /predict ÷ mlflow models serve, 1 row, c=1"]
    assert vs_mlflow.value == pytest.approx(16.0)
    assert vs_mlflow.met is True
    ceiling = found["lab /predict ÷ Litestar do-nothing ceiling, 1 row, c=1"]
    assert ceiling.value == pytest.approx(4000 / 6000)
    assert ceiling.met is True
    batch = found["lab batch rows/s (best concurrency)"]
    assert (batch.value, batch.met) == (1_200_000, True)
    assert found["lab /predict ÷ mlflow models serve, 1 row, c=32"].value == pytest.approx(
        5000 / 240
    )


def test_a_missed_target_and_a_missing_reference_are_shown_as_such() -> None:
    slow = [m("lab", "single", 1, 2000), m("hello", "single", 1, 6000)]
    found = {r.name: r for r in ratios(slow)}
    assert found["lab /predict ÷ Litestar do-nothing ceiling, 1 row, c=1"].met is False
    assert found["lab /predict ÷ mlflow models serve, 1 row, c=1"].met is None
    console = Console(width=160, record=True)
    console.print(table(slow))
    console.print(ratio_table(ratios(slow)))
    text = console.export_text()
    assert "n/a" in text and "no" in text and "6,000" in text
