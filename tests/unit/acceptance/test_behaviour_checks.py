"""Checks of behaviour around calls they make: the counter moves, the buckets, the flow's log, the
CRM-down fault check (through a fake `lab` command), PromQL reading and promtool."""

from __future__ import annotations

import shutil
import sys
import textwrap
from pathlib import Path

import httpx
import pytest
import respx

from lab.acceptance.checks import CheckError, CheckFailed, CheckSkipped
from lab.acceptance.checks.flow import FaultParams, LogParams, crm_down, flow_log
from lab.acceptance.checks.metrics import (
    BucketParams,
    CounterParams,
    counter_moves,
    latency_buckets,
)
from lab.acceptance.checks.promql import RulesParams, grafana_free, metric_names, prometheus_rules

API, CRM = "http://127.0.0.1:3911", "http://127.0.0.1:3912"


@pytest.fixture
def ctx(make_ctx):
    return make_ctx(api_url=API, crm_url=CRM, timeout=5)


def metrics_text(count: float, buckets=(0.005, 0.05)) -> str:
    rows = "".join(
        f'prediction_latency_seconds_bucket{{le="{b}",model_version="v1"}} 1.0\n' for b in buckets
    )
    return (
        "# TYPE prediction_requests_total counter\n"
        f'prediction_requests_total{{model_version="v1",outcome="ok"}} {count}\n'
        "# TYPE prediction_latency_seconds histogram\n" + rows
        + 'prediction_latency_seconds_bucket{le="+Inf",model_version="v1"} 1.0\n'
        'prediction_latency_seconds_count{model_version="v1"} 1.0\n'
        'prediction_latency_seconds_sum{model_version="v1"} 0.01\n'
    )  # fmt: skip


@respx.mock
def test_the_counter_must_rise_by_exactly_the_calls_made(ctx):
    scrapes = iter([metrics_text(5), metrics_text(8)])
    respx.get(f"{API}/metrics").mock(side_effect=lambda r: httpx.Response(200, text=next(scrapes)))
    predict = respx.post(f"{API}/predict").respond(200, json={"prediction": 0})
    assert "5 → 8: +3 for 3 calls" in counter_moves(CounterParams(), ctx)
    assert predict.call_count == 3
    respx.get(f"{API}/metrics").respond(200, text=metrics_text(5))
    with pytest.raises(CheckFailed, match=r"went from 5 to 5 \(\+0\) over 3 calls"):
        counter_moves(CounterParams(), ctx)


@respx.mock
def test_the_latency_histogram_needs_a_bucket_below_10_ms(ctx):
    respx.get(f"{API}/metrics").respond(200, text=metrics_text(1))
    assert "1 below 10 ms" in latency_buckets(BucketParams(), ctx)
    respx.get(f"{API}/metrics").respond(200, text=metrics_text(1, buckets=(0.05, 0.5)))
    with pytest.raises(CheckFailed, match=r"smallest bucket is 0.05 s: nothing below 10 ms"):
        latency_buckets(BucketParams(), ctx)


# ---- the flow's log ---------------------------------------------------------------------------
@respx.mock
def test_the_log_must_show_the_four_steps_under_the_request_id(ctx, tmp_path):
    respx.post(f"{API}/crm_segment_update").respond(
        200, json={"new_segment": "low_risk"}, headers={"x-request-id": "rid-42"}
    )
    log = tmp_path / "api.log"
    log.write_text("".join(f"info request_id=rid-42 step {n}/4 x\n" for n in range(1, 5)))
    ctx.api_log = log
    assert "4 lines with request id rid-42 show steps 1-4" in flow_log(LogParams(), ctx)
    log.write_text("info request_id=rid-42 step 1/4 read\ninfo request_id=rid-42 done\n")
    with pytest.raises(CheckFailed, match=r"none shows step 2/4, 3/4, 4/4"):
        flow_log(LogParams(wait_seconds=0), ctx)
    log.write_text("info request_id=other step 1/4\n")
    with pytest.raises(CheckFailed, match=r"no line .* carries the flow's request id rid-42"):
        flow_log(LogParams(wait_seconds=0), ctx)


# ---- the CRM-down fault check, through a fake process-control CLI ------------------------------
FAKE_LAB = """
import pathlib, sys
state = pathlib.Path(sys.argv[1])
verb, name = sys.argv[2], sys.argv[3]
with state.open("a") as f:
    f.write(f"{verb} {name}\\n")
sys.exit(int(sys.argv[4]) if len(sys.argv) > 4 and verb == "start" else 0)
"""


def fake_lab(tmp_path: Path, start_exit: int = 0) -> tuple[tuple[str, ...], Path]:
    script = tmp_path / "fake_lab.py"
    script.write_text(textwrap.dedent(FAKE_LAB))
    calls = tmp_path / "calls.txt"
    extra = (str(start_exit),) if start_exit else ()
    # the fake appends the start exit code after NAME: `fake calls stop crm [code]`
    return (sys.executable, str(script), str(calls), *extra), calls


@respx.mock
def test_crm_down_stops_grades_and_always_starts_the_crm_again(make_ctx, tmp_path):
    command, calls = fake_lab(tmp_path)
    ctx = make_ctx(api_url=API, crm_url=CRM, fault_checks=True, lab_command=command, timeout=5)
    flow = respx.post(f"{API}/crm_segment_update")
    flow.side_effect = [
        httpx.Response(200, json={"new_segment": "low_risk"}),  # with the CRM up
        httpx.Response(503, json={"detail": "the CRM is not reachable"}),  # with it stopped
    ]
    respx.post(f"{API}/predict").respond(200, json={"prediction": 0})
    observed = crm_down(FaultParams(), ctx)
    assert "flow 503 (the CRM is not reachable), /predict 200; crm running again" in observed
    assert calls.read_text() == "stop crm\nstart crm\n"


@respx.mock
def test_a_flow_that_answers_200_with_the_crm_stopped_fails_and_the_crm_restarts(
    make_ctx, tmp_path
):
    command, calls = fake_lab(tmp_path)
    ctx = make_ctx(api_url=API, crm_url=CRM, fault_checks=True, lab_command=command, timeout=5)
    respx.post(f"{API}/crm_segment_update").respond(200, json={"new_segment": "low_risk"})
    with pytest.raises(CheckFailed, match=r"answered 200: it cannot have written to the CRM"):
        crm_down(FaultParams(), ctx)
    assert calls.read_text() == "stop crm\nstart crm\n"  # started again after the failure


@respx.mock
def test_a_crm_that_does_not_start_again_is_an_error(make_ctx, tmp_path):
    script = tmp_path / "fails_start.py"
    script.write_text("import sys\nprint('crm: port busy', file=sys.stderr)\n"
                      "sys.exit(1 if sys.argv[1] == 'start' else 0)\n")  # fmt: skip
    ctx = make_ctx(api_url=API, crm_url=CRM, fault_checks=True, timeout=5,
                   lab_command=(sys.executable, str(script)))  # fmt: skip
    flow = respx.post(f"{API}/crm_segment_update")
    flow.side_effect = [httpx.Response(200, json={"new_segment": "x"}), httpx.Response(503)]
    respx.post(f"{API}/predict").respond(200, json={})
    with pytest.raises(CheckError, match=r"did not start again .* crm: port busy"):
        crm_down(FaultParams(), ctx)


def test_the_fault_check_is_skipped_with_why_off_the_local_lab(make_ctx):
    ctx = make_ctx(fault_checks=False, fault_note="a service URL was given")
    with pytest.raises(CheckSkipped, match=r"a service URL was given"):
        crm_down(FaultParams(), ctx)


# ---- PromQL and promtool ----------------------------------------------------------------------
def test_grafana_variables_become_promql():
    expr = (
        'sum by (v) (rate(prediction_requests_total{model_version="$version"}[$__rate_interval]))'
    )
    assert grafana_free(expr) == (
        'sum by (v) (rate(prediction_requests_total{model_version=~".*"}[1m]))'
    )
    assert metric_names(
        "histogram_quantile(0.95, sum by (le) (rate(prediction_latency_seconds_bucket[1m])))"
        " / ignoring (model_version) group_left () sum(model_loaded) or vector(0)"
    ) == {"prediction_latency_seconds_bucket", "model_loaded"}


def test_the_rules_must_pass_promtool_and_hold_a_rule(make_ctx, tmp_path):
    if shutil.which("promtool") is None:
        pytest.fail("promtool is not installed (apt install prometheus)")
    rules = tmp_path / "config" / "prometheus" / "rules.yml"
    rules.parent.mkdir(parents=True)
    rules.write_text("groups:\n  - name: g\n    rules:\n      - alert: Up\n        expr: up == 0\n")
    alone = make_ctx(prometheus_url="")  # Prometheus not graded: promtool's word only
    assert "SUCCESS: 1 rules found" in prometheus_rules(RulesParams(), alone)
    rules.write_text("groups:\n  - name: g\n    rules: []\n")
    with pytest.raises(CheckFailed, match=r"holds no rule"):
        prometheus_rules(RulesParams(), alone)
    rules.write_text("groups:\n  - name: g\n    rules:\n      - alert: Up\n        expr: up ==\n")
    with pytest.raises(CheckFailed, match=r"promtool check rules config/prometheus/rules.yml"):
        prometheus_rules(RulesParams(), alone)


@respx.mock
def test_the_rules_pass_only_once_prometheus_has_loaded_them(make_ctx, tmp_path):
    """M5.rules grades what is loaded: a valid file Prometheus never read does not pass."""
    if shutil.which("promtool") is None:
        pytest.fail("promtool is not installed (apt install prometheus)")
    rules = tmp_path / "config" / "prometheus" / "rules.yml"
    rules.parent.mkdir(parents=True)
    rules.write_text("groups:\n  - name: g\n    rules:\n      - alert: MyAlert\n"
                     "        expr: up == 0\n")  # fmt: skip
    prom = "http://prometheus.test"
    answers = iter([["ChurnApiDown"], ["ChurnApiDown", "MyAlert"]])

    def listing(_request: httpx.Request) -> httpx.Response:
        names = next(answers)
        groups = [{"name": "g", "rules": [{"name": n, "type": "alerting"} for n in names]}]
        return httpx.Response(200, json={"status": "success", "data": {"groups": groups}})

    respx.get(f"{prom}/api/v1/rules").mock(side_effect=listing)
    ctx = make_ctx(prometheus_url=prom)
    with pytest.raises(CheckFailed, match=r"has not loaded MyAlert of config/prometheus/rules.yml"):
        prometheus_rules(RulesParams(), ctx)
    assert "Prometheus loaded its 1 rules" in prometheus_rules(RulesParams(), ctx)
