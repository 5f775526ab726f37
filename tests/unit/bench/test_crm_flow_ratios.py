"""The benchmark's CRM-flow rows: the flow over /predict of the same run, at c=1 and c=16."""

from __future__ import annotations

from lab.bench import crm_flow, report
from lab.bench.runner import Measurement


def m(target: str, workload: str, c: int, rps: float) -> Measurement:
    return Measurement(target, workload, c, rps, rps, 1.0, 2.0, 100, 0)


def test_flow_ratio_per_level_against_predict_of_the_same_workload() -> None:
    w, predict, flow = crm_flow.WORKLOAD, crm_flow.PREDICT, crm_flow.FLOW
    results = [
        m("lab", "single", 1, 9_000), m("hello", "single", 1, 12_000),
        m(predict, w, 1, 3_000), m(flow, w, 1, 600), m(predict, w, 16, 4_000), m(flow, w, 16, 400),
    ]  # fmt: skip
    by_name = {r.name: r for r in report.ratios(results)}
    c1 = by_name["CRM flow ÷ lab /predict, 1 row, c=1"]
    c16 = by_name["CRM flow ÷ lab /predict, 1 row, c=16"]
    assert (c1.value, c1.met) == (0.2, True)
    assert (c16.value, c16.met) == (0.1, False)
    assert c1.target == crm_flow.TARGET_SHARE
    # the flow's levels do not add "lab ÷ mlflow" rows for concurrencies mlflow never ran at
    assert not any("mlflow" in name and "c=16" in name for name in by_name)


def test_workload_posts_the_flow_and_the_single_row_predict_to_the_api() -> None:
    requests = crm_flow.workload("127.0.0.1", 8123, 8124)
    flow = requests[crm_flow.FLOW].wire()
    assert flow.startswith(b"POST /crm_segment_update?customer_id=CUST_TEST_007 HTTP/1.1")
    assert requests[crm_flow.PREDICT].path == "/predict"
    hand = requests[crm_flow.FLOW_HAND_POOL]
    assert (hand.port, hand.path) == (8124, requests[crm_flow.FLOW].path)


def test_the_run_says_whether_the_hand_written_crm_pool_earns_its_place() -> None:
    w, flow, hand = crm_flow.WORKLOAD, crm_flow.FLOW, crm_flow.FLOW_HAND_POOL
    slower = [m(flow, w, 1, 600), m(hand, w, 1, 780), m(flow, w, 16, 500), m(hand, w, 16, 900)]
    ratio = {r.name: r for r in report.ratios(slower)}[
        "CRM flow, hand-written CRM pool ÷ httpx's pool, c=1"
    ]
    assert (round(ratio.value or 0, 2), ratio.met, ratio.target) == (1.3, False, 1.5)
    (said,) = report.decisions(slower)
    assert "1.30× httpx's at c=1 (< 1.5×): httpx's own pool is the default" in said
    faster = [m(flow, w, 1, 600), m(hand, w, 1, 960)]
    assert "1.60× httpx's at c=1 (≥ 1.5×): worth keeping" in report.decisions(faster)[0]
    assert "not measured" in report.decisions([m(flow, w, 1, 600)])[0]
