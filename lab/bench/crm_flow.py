"""The CRM segment-update flow in the benchmark: its CRM process and its workload.

`POST /crm_segment_update?customer_id=CUST_TEST_007` is measured beside single-row /predict on
the same API, interleaved round by round (so both see the same machine), at concurrency 1 and
16. The flow adds two HTTP calls to the CRM and one SQLite write to a prediction; the issue's
target is a throughput of at least 1/6 of /predict's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from pathlib import Path

from lab.bench import loadgen, targets

WORKLOAD = "crm flow"
LEVELS = (1, 16)
TARGET_SHARE = 1 / 6
PREDICT, FLOW = "lab /predict", "lab /crm_segment_update"
#: the same flow on a second API whose CRM client runs on the hand-written pool (crm/transport.py)
FLOW_HAND_POOL = "lab /crm_segment_update, hand-written CRM pool"
#: the hand-written pool stays the default only if it makes the flow this much faster at c=1
KEEP_HAND_POOL_AT = 1.5
CUSTOMER = "CUST_TEST_007"


def start_crm(stack: contextlib.ExitStack, env: Mapping[str, str], logs: Path, port: int) -> None:
    """`lab crm` on `port` (the API finds it through CRM_PORT in `env`)."""
    ready = f"http://127.0.0.1:{port}/health"
    stack.enter_context(targets.started("crm", ["-m", "lab", "crm"], env, logs, ready, 60))


def workload(host: str, api_port: int, hand_pool_port: int) -> dict[str, loadgen.Request]:
    """/predict and the flow on the API (httpx's pool to the CRM), and the flow on a second API
    whose CRM client uses the hand-written pool: interleaved, so both see the same machine."""
    path = f"/crm_segment_update?customer_id={CUSTOMER}"
    return {
        PREDICT: loadgen.Request(host, api_port, "/predict", targets.lab_single()),
        FLOW: loadgen.Request(host, api_port, path, b""),
        FLOW_HAND_POOL: loadgen.Request(host, hand_pool_port, path, b""),
    }


def transport_decision(speedup: float | None) -> str:
    """What the run says about the CRM client's HTTP pool (`speedup`: hand-written ÷ httpx's
    req/s of the flow at c=1)."""
    if speedup is None:
        return "CRM pool: not measured (the flow did not complete on both APIs)"
    if speedup >= KEEP_HAND_POOL_AT:
        return (
            f"CRM pool: the hand-written pool is {speedup:.2f}× httpx's at c=1 (≥ "
            f"{KEEP_HAND_POOL_AT}×): worth keeping, behind CRM_HTTP_TRANSPORT=lab"
        )
    return (
        f"CRM pool: the hand-written pool is {speedup:.2f}× httpx's at c=1 (< "
        f"{KEEP_HAND_POOL_AT}×): httpx's own pool is the default and the hand-written one "
        "does not earn its place"
    )
