"""API, CRM, MLflow and Prometheus checks: faults injected with respx (the real path runs in
tests/integration/acceptance against live processes)."""

from __future__ import annotations

import dataclasses
import json

import httpx
import pytest
import respx

from lab.acceptance.checks import CheckFailed, Status
from lab.acceptance.checks._base import Params
from lab.acceptance.checks.api import (
    MetricsParams,
    PredictParams,
    RejectParams,
    api_health,
    api_metrics,
    api_predict,
    api_rejects_bad_input,
)
from lab.acceptance.checks.crm import RecordParams, UpdateParams, crm_record, crm_segment_update
from lab.acceptance.checks.mlflow import RegistryParams, mlflow_alias
from lab.acceptance.checks.monitoring import PromParams, prometheus_query

API, CRM, MLFLOW, PROM = (f"http://127.0.0.1:{p}" for p in (3901, 3902, 3903, 3904))


@pytest.fixture
def ctx(make_ctx):
    return make_ctx(api_url=API, crm_url=CRM, mlflow_url=MLFLOW, prometheus_url=PROM, timeout=3)


# ---- /health, /predict ----------------------------------------------------------------------
@respx.mock
def test_health(ctx):
    respx.get(f"{API}/health").respond(200, json={"model_loaded": True, "model_version": "v1"})
    assert api_health(Params(), ctx) == "model_loaded true, model_version v1"
    respx.get(f"{API}/health").respond(
        200, json={"model_loaded": False, "reason": "no model file: run lab train"}
    )
    assert "model_loaded false, and says why: " in api_health(Params(), make_fresh(ctx))
    respx.get(f"{API}/health").respond(200, json={"model_loaded": "yes"})
    with pytest.raises(CheckFailed, match="no boolean `model_loaded`"):
        api_health(Params(), make_fresh(ctx))
    respx.get(f"{API}/health").respond(404, json={"detail": "Not Found"})
    with pytest.raises(CheckFailed, match="route /health is missing") as failed:
        api_health(Params(), make_fresh(ctx))
    assert "the route is missing" in failed.value.hint
    respx.get(f"{API}/health").respond(500, text="KeyError: 'model'\nmore lines")
    with pytest.raises(CheckFailed, match=r"HTTP 500: KeyError: 'model'$") as failed:
        api_health(Params(), make_fresh(ctx))
    assert "traceback" in failed.value.hint
    respx.get(f"{API}/health").respond(503, text="starting")
    with pytest.raises(CheckFailed, match="HTTP 503"):
        api_health(Params(), make_fresh(ctx))
    respx.get(f"{API}/health").respond(200, text="OK")
    with pytest.raises(CheckFailed, match="not JSON"):
        api_health(Params(), make_fresh(ctx))


def make_fresh(ctx):
    """The same context without the facts earlier criteria found."""
    ctx.facts.forget()
    return ctx


def test_nothing_listening_names_the_command_that_starts_the_service(make_ctx, closed_url):
    ctx = make_ctx(api_url=closed_url)
    with pytest.raises(CheckFailed, match="nothing listens there") as failed:
        api_health(Params(), ctx)
    assert "`lab start api`" in failed.value.hint and "`lab serve`" in failed.value.hint
    assert "`lab start api`" in failed.value.hint_zh_tw


@respx.mock
def test_predict(ctx):
    route = respx.post(f"{API}/predict").respond(
        200, json={"prediction": 1, "churn_probability": 0.7, "model_version": "v1"}
    )
    assert '"model_version": "v1"' in api_predict(PredictParams(), ctx)
    assert len(json.loads(route.calls.last.request.content)["features"]) == 10
    respx.post(f"{API}/predict").respond(200, json={"prediction": 1})
    with pytest.raises(CheckFailed, match="lacks model_version"):
        api_predict(PredictParams(), ctx)
    respx.post(f"{API}/predict").respond(500, json={"detail": "boom"})
    with pytest.raises(CheckFailed, match="HTTP 500"):
        api_predict(PredictParams(), ctx)


@respx.mock
def test_predict_slower_than_the_timeout_fails(ctx):
    respx.post(f"{API}/predict").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(CheckFailed, match="did not answer within 3 s"):
        api_predict(PredictParams(), ctx)


@respx.mock
def test_bad_input_must_get_a_4xx_every_time(ctx):
    respx.post(f"{API}/predict").respond(422, json={"detail": "features: 10 numbers"})
    observed = api_rejects_bad_input(RejectParams(), ctx)
    assert observed.startswith("10 bad bodies, each 4xx with a message: wrong length 422, ")
    sent = [call.request for call in respx.calls]
    assert b"NaN" in sent[3].content and b"Infinity" in sent[4].content and sent[6].content == b""
    assert sent[8].headers["content-type"] == "application/x-www-form-urlencoded"
    codes = iter([422, 500])
    respx.post(f"{API}/predict").mock(
        side_effect=lambda req: httpx.Response(next(codes), json={"detail": "bad row"})
    )
    with pytest.raises(CheckFailed, match=r"HTTP 500 to the bad body strings") as failed:
        api_rejects_bad_input(RejectParams(), ctx)
    assert "traceback" in failed.value.hint
    respx.post(f"{API}/predict").respond(200, json={"prediction": 0})
    with pytest.raises(CheckFailed, match="HTTP 200"):
        api_rejects_bad_input(RejectParams(), ctx)


# ---- /metrics -------------------------------------------------------------------------------
METRICS = """\
# HELP prediction_requests_total Predictions served
# TYPE prediction_requests_total counter
prediction_requests_total{model_version="v1",outcome="ok"} 3.0
# HELP prediction_latency_seconds Prediction latency
# TYPE prediction_latency_seconds histogram
prediction_latency_seconds_bucket{le="0.05",model_version="v1"} 3.0
prediction_latency_seconds_bucket{le="+Inf",model_version="v1"} 3.0
prediction_latency_seconds_count{model_version="v1"} 3.0
prediction_latency_seconds_sum{model_version="v1"} 0.01
# HELP crm_segment_updates_total Segment updates
# TYPE crm_segment_updates_total counter
"""
WANTED = {
    "prediction_requests_total": ["model_version"],
    "prediction_latency_seconds": ["model_version"],
    "crm_segment_updates_total": [],
}


@respx.mock
def test_metrics_pass_with_every_name_and_label(ctx):
    warm = respx.post(f"{API}/predict").respond(200, json={})
    respx.get(f"{API}/metrics").respond(200, text=METRICS)
    assert "exposes prediction_requests_total" in api_metrics(MetricsParams(metrics=WANTED), ctx)
    assert warm.called  # one /predict first, so the labelled series have samples


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        (METRICS.replace("crm_segment_updates_total", "crm_updates_total"), "lacks crm_segment"),
        (METRICS.replace('model_version="v1",', ""), "without label model_version"),
        (METRICS.replace("prediction_latency_seconds", "prediction_latency_v1_seconds"), "lacks"),
        ("<html>not metrics</html>", "lacks|not Prometheus"),
    ],
)
@respx.mock
def test_metrics_fail_naming_what_is_missing(ctx, text, complaint):
    respx.post(f"{API}/predict").respond(200, json={})
    respx.get(f"{API}/metrics").respond(200, text=text)
    with pytest.raises(CheckFailed, match=complaint):
        api_metrics(MetricsParams(metrics=WANTED), ctx)


@respx.mock
def test_no_metrics_endpoint_fails(ctx):
    respx.post(f"{API}/predict").respond(200, json={})
    respx.get(f"{API}/metrics").respond(404, text="Not Found")
    with pytest.raises(CheckFailed, match="/metrics answered HTTP 404"):
        api_metrics(MetricsParams(metrics=WANTED), ctx)


# ---- CRM ------------------------------------------------------------------------------------
@respx.mock
def test_segment_update_then_record_uses_one_update(ctx):
    update = respx.post(f"{API}/crm_segment_update", params={"customer_id": "CUST_TEST_007"})
    update.respond(
        200,
        json={"customer_id": "CUST_TEST_007", "new_segment": "high_risk", "model_version": "v1"},
        headers={"x-request-id": "rid-1"},
    )
    respx.get(f"{CRM}/customers/CUST_TEST_007").respond(200, json={"segment": "high_risk"})
    history = respx.get(f"{CRM}/customers/CUST_TEST_007/history")
    history.respond(200, json={"items": [HISTORY_ROW]})
    assert "→ new_segment 'high_risk'" in crm_segment_update(UpdateParams(), ctx)
    assert "history row by model v1" in crm_record(RecordParams(), ctx)
    assert update.call_count == 1
    assert update.calls.last.request.headers["x-request-id"].startswith("lab-check-")
    history.respond(200, json={"items": [{**HISTORY_ROW, "model_version": "v0"}]})
    with pytest.raises(CheckFailed, match="history row names model_version 'v0'"):
        crm_record(RecordParams(), ctx)
    history.respond(200, json={"items": []})
    with pytest.raises(CheckFailed, match="no row for this update"):
        crm_record(RecordParams(), ctx)


HISTORY_ROW = {"request_id": "rid-1", "segment": "high_risk", "model_version": "v1"}


@respx.mock
def test_a_record_that_does_not_hold_the_segment_fails(ctx):
    respx.post(f"{API}/crm_segment_update").respond(200, json={"new_segment": "loyal"})
    respx.get(f"{CRM}/customers/CUST_TEST_007").respond(200, json={"segment": "at_risk"})
    respx.get(f"{CRM}/customers/CUST_TEST_007/history").respond(200, json={"items": []})
    with pytest.raises(CheckFailed, match=r"answered new_segment 'loyal' but .* 'at_risk'"):
        crm_record(RecordParams(), ctx)


@respx.mock
def test_crm_down_fails_both_criteria_with_what_was_seen(ctx):
    respx.post(f"{API}/crm_segment_update").respond(
        503, json={"title": "CRM unavailable", "detail": "connection refused"}
    )
    respx.get(f"{CRM}/customers/CUST_TEST_007").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(CheckFailed, match=r"answered HTTP 503: connection refused$"):
        crm_segment_update(UpdateParams(), ctx)
    with pytest.raises(CheckFailed, match="segment update failed"):
        crm_record(RecordParams(), ctx)


@respx.mock
def test_a_crm_that_wants_the_token_for_reads_gets_it(ctx, settings_factory):
    ctx = dataclasses.replace(ctx, settings=settings_factory(CRM_URL=CRM))  # the lab's own CRM
    respx.post(f"{API}/crm_segment_update").respond(200, json={"new_segment": "loyal"})
    record = respx.get(f"{CRM}/customers/CUST_TEST_007")
    record.side_effect = lambda req: (
        httpx.Response(200, json={"segment": "loyal"})
        if req.headers.get("authorization") == "Bearer test-crm-token-0000"
        else httpx.Response(401)
    )
    respx.get(f"{CRM}/customers/CUST_TEST_007/history").respond(
        200, json={"items": [{"segment": "loyal", "model_version": "v1"}]}
    )
    assert "loyal" in crm_record(RecordParams(), ctx)
    assert record.call_count == 2


def test_ids_are_validated_before_they_reach_a_url():
    with pytest.raises(ValueError, match="customer_id"):
        UpdateParams(customer_id="../../admin")
    with pytest.raises(ValueError, match="model_name"):
        RegistryParams(model_name="x/../y")


# ---- MLflow ---------------------------------------------------------------------------------
ALIAS_ANSWER = {
    "model_version": {
        "name": "churn-model",
        "version": "3",
        "aliases": ["champion"],
        "tags": [{"key": "version_label", "value": "v1.2.0-stable"}],
        "status": "READY",
    }
}


@respx.mock
def test_mlflow_alias(ctx):
    route = respx.get(f"{MLFLOW}/api/2.0/mlflow/registered-models/alias").respond(
        200, json=ALIAS_ANSWER
    )
    respx.get(f"{MLFLOW}/version").respond(200, text="3.17.2")
    outcome = mlflow_alias(RegistryParams(), ctx)
    assert outcome.status is Status.PASS
    assert outcome.observed == "churn-model version 3 @champion, version_label v1.2.0-stable"
    assert outcome.facts == {"mlflow": "3.17.2"}
    assert dict(route.calls.last.request.url.params) == {"name": "churn-model", "alias": "champion"}


@respx.mock
def test_mlflow_without_the_alias_or_the_label_fails(ctx):
    respx.get(f"{MLFLOW}/version").respond(404)
    url = f"{MLFLOW}/api/2.0/mlflow/registered-models/alias"
    respx.get(url).respond(
        404, json={"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no alias"}
    )
    with pytest.raises(
        CheckFailed, match=r"no model 'churn-model' .*RESOURCE_DOES_NOT_EXIST.*lab train"
    ):
        mlflow_alias(RegistryParams(), ctx)
    unlabelled = {"model_version": {**ALIAS_ANSWER["model_version"], "tags": []}}
    respx.get(url).respond(200, json=unlabelled)
    with pytest.raises(CheckFailed, match="no `version_label` tag"):
        mlflow_alias(RegistryParams(), ctx)


# ---- Prometheus -----------------------------------------------------------------------------
def prom_answer(result: list) -> dict:
    return {"status": "success", "data": {"resultType": "vector", "result": result}}


@respx.mock
def test_prometheus_polls_until_a_series_appears(ctx):
    series = {"metric": {"__name__": "prediction_requests_total", "model_version": "v1"},
              "value": [1700000000.0, "3"]}  # fmt: skip
    answers = iter([prom_answer([]), prom_answer([series])])
    respx.get(f"{PROM}/api/v1/query").mock(
        side_effect=lambda req: httpx.Response(200, json=next(answers))
    )
    respx.get(f"{PROM}/api/v1/status/buildinfo").respond(
        200, json={"status": "success", "data": {"version": "2.42.0"}}
    )
    outcome = prometheus_query(PromParams(poll_seconds=0.05), ctx)
    assert outcome.status is Status.PASS
    assert outcome.observed.startswith("1 series for prediction_requests_total")
    assert outcome.facts == {"prometheus": "2.42.0"}


@respx.mock
def test_prometheus_without_the_series_fails_after_the_timeout(make_ctx):
    ctx = make_ctx(prometheus_url=PROM, timeout=0.3)
    respx.get(f"{PROM}/api/v1/query").respond(200, json=prom_answer([]))
    with pytest.raises(CheckFailed, match="no series for 'prediction_requests_total'"):
        prometheus_query(PromParams(poll_seconds=0.05), ctx)


@respx.mock
def test_prometheus_target_counts_only_the_graded_apis_series(make_ctx):
    """One Prometheus may scrape several APIs (a class, `lab exercise verify`): a series of
    another instance does not pass the API under test."""
    from lab.acceptance.checks.promql import TargetParams, prometheus_target

    ctx = make_ctx(api_url=API, prometheus_url=PROM, timeout=0.5)
    target = {"scrapeUrl": f"{API}/metrics", "health": "up",
              "labels": {"job": "api", "instance": "127.0.0.1:3901"}}  # fmt: skip
    respx.get(f"{PROM}/api/v1/targets").respond(
        200, json={"status": "success", "data": {"activeTargets": [target]}}
    )
    respx.get(f"{PROM}/api/v1/status/buildinfo").respond(
        200, json={"status": "success", "data": {"version": "2.42.0"}}
    )
    other = {"metric": {"__name__": "prediction_requests_total", "job": "api",
                        "instance": "127.0.0.1:4999"}, "value": [1700000000.0, "3"]}  # fmt: skip
    query = respx.get(f"{PROM}/api/v1/query").respond(200, json=prom_answer([other]))
    with pytest.raises(CheckFailed, match="no series for 'prediction_requests_total'"):
        prometheus_target(TargetParams(poll_seconds=0.05), ctx)

    own = {**other, "metric": {**other["metric"], "instance": "127.0.0.1:3901"}}
    declared = {**own, "value": [1700000000.0, "0"]}  # declared, never increased
    query.respond(200, json=prom_answer([other, declared]))
    with pytest.raises(CheckFailed, match="no series for 'prediction_requests_total'"):
        prometheus_target(TargetParams(poll_seconds=0.05), ctx)

    query.respond(200, json=prom_answer([other, own]))
    outcome = prometheus_target(TargetParams(poll_seconds=0.05), ctx)
    assert outcome.status is Status.PASS
    assert "1 series for prediction_requests_total" in outcome.observed


@respx.mock
def test_prometheus_that_does_not_list_the_api_fails_without_waiting_out_its_budget(
    make_ctx, monkeypatch
):
    """Prometheus's targets come from its configuration: one that does not name the API is
    asked again for a few seconds only, not for the whole 30 s budget."""
    from lab.acceptance.checks import promql

    monkeypatch.setattr(promql, "UNLISTED_SECONDS", 0.2)
    ctx = make_ctx(api_url=API, prometheus_url=PROM, timeout=30)
    other = {"scrapeUrl": "http://127.0.0.1:8000/metrics", "health": "up", "labels": {}}
    targets = respx.get(f"{PROM}/api/v1/targets").respond(
        200, json={"status": "success", "data": {"activeTargets": [other]}}
    )
    respx.get(f"{PROM}/api/v1/status/buildinfo").respond(200, json={"status": "success"})
    with pytest.raises(CheckFailed, match=r"does not scrape the API at .*it scrapes http://127"):
        promql.prometheus_target(promql.TargetParams(poll_seconds=0.05), ctx)
    assert 2 <= targets.call_count < 20  # asked again, then gave up long before 30 s


@respx.mock
def test_prometheus_fails_once_two_fresh_scrapes_lack_the_series(make_ctx):
    """A counter that never moves fails after two scrapes made since the check began, not at
    the end of the 30 s budget."""
    from lab.acceptance.checks.promql import TargetParams, prometheus_target

    ctx = make_ctx(api_url=API, prometheus_url=PROM, timeout=30)
    scrapes = iter(f"2026-12-02T10:00:0{i}Z" for i in range(10))
    target = {"scrapeUrl": f"{API}/metrics", "health": "up", "labels": {}}
    targets = respx.get(f"{PROM}/api/v1/targets").mock(
        side_effect=lambda req: httpx.Response(200, json={"status": "success", "data": {
            "activeTargets": [{**target, "lastScrape": next(scrapes)}]}})
    )  # fmt: skip
    respx.get(f"{PROM}/api/v1/status/buildinfo").respond(200, json={"status": "success"})
    respx.get(f"{PROM}/api/v1/query").respond(200, json=prom_answer([]))
    with pytest.raises(CheckFailed, match=r"no series for .* in 2 scrapes since"):
        prometheus_target(TargetParams(poll_seconds=0.05), ctx)
    assert targets.call_count == 3  # the first scrape seen predates the check: not counted


@respx.mock
def test_model_served_reads_the_manifest_label_itself_whatever_ran_before(ctx, settings):
    """MLflow unreachable: the label expected is the model manifest's, read by the check that
    needs it (no earlier model_files criterion has to have run and left it behind)."""
    from lab.acceptance.checks.mlflow import model_served

    settings.manifest_path.parent.mkdir(parents=True, exist_ok=True)
    settings.manifest_path.write_text(json.dumps({"label": "v2.0.0"}), encoding="utf-8")
    respx.get(url__startswith=MLFLOW).mock(side_effect=httpx.ConnectError("refused"))
    respx.get(f"{API}/health").respond(200, json={"model_loaded": True, "model_version": "v1"})
    seen = r"serves 'v1' but the model file's manifest is 'v2\.0\.0'"
    with pytest.raises(CheckFailed, match=seen):
        model_served(RegistryParams(), ctx)
