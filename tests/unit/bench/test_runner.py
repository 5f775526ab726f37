"""The benchmark's runner: targets take turns round by round, each keeps its best round, the
failures of every round count; `lab bench` reports a target that does not start.

The load generator itself is measured against a real socket server in test_loadgen.py; here
its results are scripted, to know which round was best."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from lab.bench import loadgen, runner
from lab.bench.targets import StartError
from lab.cli import main

PLAN = runner.Plan(seconds=3.0, warmup=1.0, concurrency=(1, 8), rounds=3)


def scripted(completed: dict[tuple[str, int], list[int]], failures: int = 0):
    """A loadgen.run that answers, per (path, concurrency), the next number of requests done in
    1 s (latencies 1 ms each), and records every call."""
    calls: list[tuple[str, int, float, float]] = []
    left = {key: list(values) for key, values in completed.items()}

    def run(req: loadgen.Request, concurrency: int, seconds: float, warmup: float):
        calls.append((req.path, concurrency, seconds, warmup))
        n = left[(req.path, concurrency)].pop(0)
        return loadgen.Result(concurrency, 1.0, np.full(n, 0.001), failures=failures)

    return run, calls


def requests() -> runner.Workload:
    return {
        "lab": loadgen.Request("127.0.0.1", 1, "/lab", b"{}"),
        "hello": loadgen.Request("127.0.0.1", 2, "/hello", b"{}"),
    }


def test_targets_take_turns_and_each_keeps_its_best_round(monkeypatch) -> None:
    run, calls = scripted({
        ("/lab", 1): [100, 300, 200], ("/hello", 1): [500, 400, 450],
        ("/lab", 8): [900, 800, 700], ("/hello", 8): [1000, 1200, 1100],
    }, failures=1)  # fmt: skip
    monkeypatch.setattr(runner.loadgen, "run", run)
    steps: list[str] = []
    out = runner.compare(requests(), "single", 10, PLAN, steps.append)

    assert [(path, c) for path, c, _, _ in calls] == [
        ("/lab", 1), ("/hello", 1), ("/lab", 1), ("/hello", 1), ("/lab", 1), ("/hello", 1),
        ("/lab", 8), ("/hello", 8), ("/lab", 8), ("/hello", 8), ("/lab", 8), ("/hello", 8),
    ]  # fmt: skip
    assert {seconds for _, _, seconds, _ in calls} == {1.0}  # 3 s split into 3 rounds
    assert [warmup for _, c, _, warmup in calls if c == 1] == [1.0, 1.0, 0.3, 0.3, 0.3, 0.3]
    assert steps[0] == "single: lab at concurrency 1 (round 1/3)"
    assert steps[-1] == "single: hello at concurrency 8 (round 3/3)"
    got = {(m.target, m.concurrency): m for m in out}
    assert {k: m.requests_per_s for k, m in got.items()} == {
        ("lab", 1): 300, ("hello", 1): 500, ("lab", 8): 900, ("hello", 8): 1200,
    }  # fmt: skip
    assert got[("lab", 1)].rows_per_s == 3000  # 10 rows a request
    assert got[("lab", 1)].failures == 3  # every round's failures, not the best round's
    assert (got[("lab", 1)].p50_ms, got[("lab", 1)].completed) == (1.0, 300)
    assert {m.workload for m in out} == {"single"}


def test_levels_override_the_plan_and_no_target_measures_nothing(monkeypatch) -> None:
    run, _ = scripted({("/lab", 1): [10, 20, 30]})
    monkeypatch.setattr(runner.loadgen, "run", run)
    only_lab = {"lab": requests()["lab"]}
    out = runner.compare(only_lab, "batch", 10_000, PLAN, lambda _: None, levels=(1,))
    assert [(m.target, m.concurrency, m.requests_per_s) for m in out] == [("lab", 1, 30)]
    assert runner.compare({}, "batch", 1, PLAN, lambda _: None) == []


def test_lab_bench_says_which_target_did_not_start(monkeypatch) -> None:
    def fail(plan, step, keep):
        step("starting MLflow")
        raise StartError("mlflow did not answer http://127.0.0.1:1/health within 120 s; log: x")

    monkeypatch.setattr(runner, "run", fail)
    result = CliRunner().invoke(main, ["bench", "--seconds", "1"])
    assert result.exit_code == 1
    assert "mlflow did not answer" in " ".join(result.output.split())
    assert "Traceback" not in result.output


@pytest.mark.parametrize("levels", ["0", "1,x", "300", ""])
def test_lab_bench_refuses_bad_concurrency_levels(levels: str) -> None:
    result = CliRunner().invoke(main, ["bench", "--concurrency", levels])
    assert result.exit_code == 2
    assert "--concurrency" in result.output
