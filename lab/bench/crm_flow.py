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
CUSTOMER = "CUST_TEST_007"


def start_crm(stack: contextlib.ExitStack, env: Mapping[str, str], logs: Path, port: int) -> None:
    """`lab crm` on `port` (the API finds it through CRM_PORT in `env`)."""
    ready = f"http://127.0.0.1:{port}/health"
    stack.enter_context(targets.started("crm", ["-m", "lab", "crm"], env, logs, ready, 60))


def workload(host: str, api_port: int) -> dict[str, loadgen.Request]:
    return {
        PREDICT: loadgen.Request(host, api_port, "/predict", targets.lab_single()),
        FLOW: loadgen.Request(host, api_port, f"/crm_segment_update?customer_id={CUSTOMER}", b""),
    }
