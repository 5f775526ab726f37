"""The benchmark's table and the ratios the serving issue sets as targets."""

from __future__ import annotations

from dataclasses import dataclass

from rich.table import Table

from lab.bench import crm_flow
from lab.bench.runner import Measurement


@dataclass(frozen=True)
class Ratio:
    name: str
    value: float | None
    target: float
    unit: str = "×"

    @property
    def met(self) -> bool | None:
        return None if self.value is None else self.value >= self.target


def _find(results: list[Measurement], target: str, workload: str, c: int) -> Measurement | None:
    return next(
        (
            m
            for m in results
            if (m.target, m.workload, m.concurrency) == (target, workload, c) and m.completed
        ),
        None,
    )


def _over(a: Measurement | None, b: Measurement | None) -> float | None:
    return a.requests_per_s / b.requests_per_s if a and b and b.requests_per_s else None


def ratios(results: list[Measurement]) -> list[Ratio]:
    lab1 = _find(results, "lab", "single", 1)
    batch = [m.rows_per_s for m in results if (m.target, m.workload) == ("lab", "batch")]
    out = [
        Ratio("lab /predict ÷ mlflow models serve, 1 row, c=1", _over(lab1, _find(results, "mlflow", "single", 1)), 10.0),  # noqa: E501
        Ratio("lab /predict ÷ Litestar do-nothing ceiling, 1 row, c=1", _over(lab1, _find(results, "hello", "single", 1)), 0.5),  # noqa: E501
        Ratio("lab batch rows/s (best concurrency)", max(batch) if batch else None, 1_000_000, " rows/s"),  # noqa: E501
    ]  # fmt: skip
    for c in sorted({m.concurrency for m in results if m.workload == "single"} - {1}):
        out.append(
            Ratio(
                f"lab /predict ÷ mlflow models serve, 1 row, c={c}",
                _over(_find(results, "lab", "single", c), _find(results, "mlflow", "single", c)),
                10.0,
            )
        )
    for c in crm_flow.LEVELS:
        flow = _find(results, crm_flow.FLOW, crm_flow.WORKLOAD, c)
        predict = _find(results, crm_flow.PREDICT, crm_flow.WORKLOAD, c)
        name = f"CRM flow ÷ lab /predict, 1 row, c={c}"
        out.append(Ratio(name, _over(flow, predict), crm_flow.TARGET_SHARE))
    for c in crm_flow.LEVELS:
        out.append(
            Ratio(
                f"CRM flow, hand-written CRM pool ÷ httpx's pool, c={c}",
                pool_speedup(results, c),
                crm_flow.KEEP_HAND_POOL_AT,
            )
        )
    return out


def pool_speedup(results: list[Measurement], c: int = 1) -> float | None:
    """The flow's req/s with the hand-written CRM pool over httpx's, at concurrency `c`."""
    hand = _find(results, crm_flow.FLOW_HAND_POOL, crm_flow.WORKLOAD, c)
    return _over(hand, _find(results, crm_flow.FLOW, crm_flow.WORKLOAD, c))


def decisions(results: list[Measurement]) -> list[str]:
    """What the ratios decide (printed under the tables)."""
    return [crm_flow.transport_decision(pool_speedup(results, 1))]


def table(results: list[Measurement]) -> Table:
    t = Table(title="serving benchmark (1 uvicorn worker each, keep-alive)", header_style="bold")
    for col in ("target", "workload", "conc.", "req/s", "rows/s", "p50 ms", "p99 ms", "failed"):
        t.add_column(col, justify="left" if col in ("target", "workload") else "right")
    for m in results:
        t.add_row(
            m.target, m.workload, str(m.concurrency), f"{m.requests_per_s:,.0f}",
            f"{m.rows_per_s:,.0f}", f"{m.p50_ms:.2f}", f"{m.p99_ms:.2f}", str(m.failures),
        )  # fmt: skip
    return t


def ratio_table(items: list[Ratio]) -> Table:
    t = Table(title="ratios (same run)", header_style="bold")
    for col in ("measure", "value", "target", "met"):
        t.add_column(col, justify="left" if col == "measure" else "right")
    for r in items:
        value = "n/a" if r.value is None else _fmt(r.value, r.unit)
        met = {True: "[green]yes[/]", False: "[red]no[/]", None: "[yellow]n/a[/]"}[r.met]
        t.add_row(r.name, value, f"≥ {_fmt(r.target, r.unit)}", met)
    return t


def _fmt(value: float, unit: str) -> str:
    return f"{value:,.0f}{unit}" if unit.strip() == "rows/s" else f"{value:.2f}{unit}"
