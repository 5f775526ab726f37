"""The load generator's plan, requests and accounting (faults injected with httpx.MockTransport).

The real path (the real API and CRM answering `lab load`) is in
tests/integration/observability/test_monitoring_stack.py.
"""

from __future__ import annotations

import json

import httpx
import pytest
from click.testing import CliRunner
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lab import data
from lab.cli import main
from lab.observability import load, shift

API, CRM = "http://127.0.0.1:1", "http://127.0.0.1:2"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def api(status_for: dict[str, int] | None = None, customers=("CUST001", "CUST002")):
    """A transport answering like the lab (or with the given status per path prefix)."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        url = str(request.url)
        if url.startswith(CRM):
            items = [{"customer_id": c} for c in customers]
            return httpx.Response(200, json={"items": items, "total": len(items)})
        for prefix, status in (status_for or {}).items():
            if request.url.path.startswith(prefix):
                return httpx.Response(status)
        if request.url.path == "/health":
            return httpx.Response(200, json={"model_loaded": True})
        body = json.loads(request.content or b"null")
        rows = [body.get("features")] if isinstance(body, dict) else []
        rows = body.get("instances") or rows if isinstance(body, dict) else rows
        ok = bool(rows) and all(
            isinstance(row, list)
            and len(row) == data.N_FEATURES
            and all(isinstance(v, float) for v in row)
            for row in rows
        )
        if request.url.path == "/crm_segment_update":
            ok = request.url.params["customer_id"] in customers
        return httpx.Response(200 if ok else 422)

    return httpx.MockTransport(handle), seen


def run(plan: load.LoadPlan, transport: httpx.MockTransport, clock: FakeClock | None = None):
    clock = clock or FakeClock()
    return load.run(plan, API, CRM, transport=transport, clock=clock, sleep=clock.sleep)


def test_count_stops_the_run_and_every_answer_is_expected() -> None:
    transport, seen = api()
    summary = run(load.LoadPlan(rate=50, duration=None, count=200), transport)
    assert len(summary.results) == 200
    assert summary.unexpected == 0
    kinds = {r.kind for r in summary.results}
    assert kinds == set(load.KINDS)
    assert all(r.status == 422 for r in summary.results if r.kind == "bad")
    assert summary.customers == 2
    posted = [r for r in seen if r.method == "POST"]
    assert len(posted) == 200


def test_duration_and_rate_pace_the_requests() -> None:
    transport, _ = api()
    clock = FakeClock()
    summary = run(load.LoadPlan(rate=10, duration=3), transport, clock)
    assert len(summary.results) == 30  # 10/s for 3 s, paced by sleeping, not bursting
    assert clock.now == pytest.approx(2.9)
    assert summary.elapsed == pytest.approx(2.9)


def test_server_errors_and_accepted_bad_requests_are_unexpected() -> None:
    transport, _ = api(status_for={"/predict": 500})
    summary = run(load.LoadPlan(rate=100, duration=None, count=50, seed=1), transport)
    predict = [r for r in summary.results if r.kind in ("predict", "batch")]
    assert predict and summary.unexpected >= len(predict)
    assert summary.by_kind()["predict"]["5xx"] == sum(1 for r in predict if r.kind == "predict")


def test_crm_down_means_no_crm_updates_and_a_notice() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if str(request.url).startswith(CRM):
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200)

    summary = run(load.LoadPlan(rate=100, duration=None, count=40), httpx.MockTransport(handle))
    assert "crm" not in {r.kind for r in summary.results}
    assert any("no CRM updates" in n for n in summary.notices)


def test_api_down_is_a_clear_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(load.LoadError, match=r"does not answer .*lab serve"):
        run(load.LoadPlan(count=5, duration=None), httpx.MockTransport(refuse))


def test_requests_have_the_api_shapes() -> None:
    gen = load.Generator(load.LoadPlan(batch_size=7), API, CRM)
    gen.customers = ["CUST001"]
    _, path, body = gen.request("predict")
    assert path == "/predict" and len(body["features"]) == data.N_FEATURES
    _, _, batch = gen.request("batch")
    assert len(batch["instances"]) == 7
    assert all(len(row) == data.N_FEATURES for row in batch["instances"])
    assert gen.request("crm")[1] == "/crm_segment_update?customer_id=CUST001"


def test_same_seed_same_requests() -> None:
    a, b = (load.Generator(load.LoadPlan(seed=7), API, CRM) for _ in range(2))
    assert [a.request(a.pick_kind()) for _ in range(50)] == [
        b.request(b.pick_kind()) for _ in range(50)
    ]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"rate": 0},
        {"duration": None, "count": None},
        {"count": 0},
        {"batch_size": 0},
        {"mix": {"predict": -1}},
        {"mix": {"nonsense": 1}},
        {"mix": {"predict": 0}},
    ],
)
def test_bad_plans_are_refused(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        load.LoadPlan(**kwargs)


@settings(max_examples=60, deadline=None)
@given(
    rate=st.floats(0.1, 1000),
    duration=st.one_of(st.none(), st.floats(0.5, 30)),
    count=st.one_of(st.none(), st.integers(1, 300)),
)
def test_planned_is_what_a_run_against_an_instant_api_sends(rate: float, duration, count) -> None:
    """The progress bar's total: a run whose answers take no time sends exactly that many."""
    assume(duration is not None or count is not None)
    assume(duration is None or rate * duration <= 400)  # a lean run
    plan = load.LoadPlan(rate=rate, duration=duration, count=count, mix={"predict": 1})
    transport, _ = api()
    summary = run(plan, transport)
    assert len(summary.results) == plan.planned
    assert summary.unexpected == 0


@pytest.mark.parametrize(
    ("rate", "duration", "count", "planned"),
    [
        (10, 3, None, 30),  # 0.0, 0.1, ... 2.9 s
        (3, 0.5, None, 2),  # 0 and 0.33 s: both before the 0.5 s end
        (0.1, 0.5, None, 1),  # the first request goes at once
        (10, 3, 7, 7),  # the count first
        (10, None, 12, 12),
    ],
)
def test_planned_by_hand(rate, duration, count, planned) -> None:
    assert load.LoadPlan(rate=rate, duration=duration, count=count).planned == planned


def test_drift_shifts_the_prediction_rows_and_nothing_else() -> None:
    plain = load.Generator(load.LoadPlan(seed=3), API, CRM)
    drifted = load.Generator(load.LoadPlan(seed=3, drift=("monthly_spend",)), API, CRM)
    spend = data.FEATURE_NAMES.index("monthly_spend")
    for a, b in zip(plain.rows, drifted.rows, strict=True):
        assert b[spend] == pytest.approx(a[spend] + 120.0)
        assert a[:spend] + a[spend + 1 :] == b[:spend] + b[spend + 1 :]
    transport, seen = api()
    summary = run(
        load.LoadPlan(rate=50, duration=None, count=100, drift=tuple(shift.SHIFTS)), transport
    )
    assert summary.unexpected == 0  # shifted rows are valid: answered 2xx
    rows = [
        row
        for r in seen
        if r.url.path == "/predict" and r.method == "POST"
        for row in _rows(json.loads(r.content or b"null"))
    ]
    tickets = data.FEATURE_NAMES.index("support_tickets")
    assert rows and all(row[tickets] >= 8 for row in rows)


def _rows(body) -> list[list]:
    if not isinstance(body, dict):
        return []
    rows = body.get("instances") or [body.get("features")]
    good = [r for r in rows if isinstance(r, list) and len(r) == data.N_FEATURES]
    return [r for r in good if all(isinstance(v, float) for v in r)]  # not the bad requests


def test_a_drift_plan_with_an_unknown_feature_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot shift tenure_months"):
        load.LoadPlan(drift=("tenure_months",))


def test_cli_explains_and_checks_drift() -> None:
    runner = CliRunner()
    helped = runner.invoke(main, ["load", "--help"])
    assert helped.exit_code == 0
    for text in ("--drift", "FeatureDrift", "DRIFT_ALERT_FOR", *shift.SHIFTS):
        assert text in helped.output
    bad = runner.invoke(main, ["load", "--drift-features", "monthly_spend,tenure", "--count", "1"])
    assert bad.exit_code == 2 and "cannot shift tenure" in bad.output
