"""Checks of the segment-update flow's behaviour: its log, and its answer with the CRM down.

The fault check stops the local lab's CRM through the process-control CLI (`lab stop crm`),
grades the API while the CRM is down, and always starts the CRM again (`lab start crm`).
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

from pydantic import Field

from lab.acceptance.checks._base import (
    CheckContext,
    CheckError,
    CheckFailed,
    CheckSkipped,
    Schedule,
    short,
)
from lab.acceptance.checks._http import call, error_text, unexpected
from lab.acceptance.checks.api import SAMPLE_ROW
from lab.acceptance.checks.crm import UpdateParams, segment_update
from lab.acceptance.checks.kinds import CHECK_KINDS

TAIL_BYTES = 4_000_000  # the end of a log file is where this run's lines are
NO_LAB = 1  # `lab stop` exit code: no lab running here


class LogParams(UpdateParams):
    steps: int = Field(4, ge=1, le=10)
    wait_seconds: float = Field(3.0, ge=0, le=30)  # for the log to be flushed


def log_files(ctx: CheckContext) -> list[Path]:
    if ctx.api_log is not None:
        return [ctx.api_log]
    run = ctx.settings.run_dir
    return sorted(run.rglob("*.log")) if run.is_dir() else []


def _tail(path: Path) -> str:
    try:
        with path.open("rb") as fh:
            fh.seek(max(path.stat().st_size - TAIL_BYTES, 0))
            return fh.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


@CHECK_KINDS.kind("flow_log", LogParams)
def flow_log(params: LogParams, ctx: CheckContext) -> str:
    """The API's log shows the flow's steps (`step 1/4` … `step 4/4`) under its request id."""
    try:
        rid = segment_update(params, ctx)["_request_id"]
    except CheckFailed as exc:
        raise CheckFailed(f"no flow to look for, the segment update failed: {exc}") from None
    files = log_files(ctx)
    if not files:
        raise CheckSkipped(
            f"no API log to read: nothing under {ctx.settings.run_dir} (pass --api-log FILE)"
        )
    markers = [
        re.compile(rf"step\s*{k}\s*/\s*{params.steps}\b", re.I) for k in range(1, 1 + params.steps)
    ]
    deadline = time.monotonic() + params.wait_seconds
    while True:
        lines = [line for f in files for line in _tail(f).splitlines() if rid in line]
        missing = [k + 1 for k, m in enumerate(markers) if not any(m.search(x) for x in lines)]
        if not missing or time.monotonic() >= deadline:
            break
        time.sleep(0.2)
    where = ", ".join(str(f) for f in files[:3])
    if not lines:
        raise CheckFailed(f"no line of {where} carries the flow's request id {rid}")
    if missing:
        raise CheckFailed(
            f"{len(lines)} lines of {where} carry request id {rid}, but none shows step "
            f"{', '.join(f'{k}/{params.steps}' for k in missing)}"
        )
    return f"{len(lines)} lines with request id {rid} show steps 1-{params.steps} ({where})"


class FaultParams(UpdateParams):
    schedule = Schedule(timeout=120.0)
    process: str = "crm"
    expect_status: int = 503


def _lab(ctx: CheckContext, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    if not ctx.lab_command:
        raise CheckError("no lab command to control the processes with")
    env = {**os.environ, "LAB_HOME": str(ctx.settings.LAB_HOME)}
    try:
        return subprocess.run(
            [*ctx.lab_command, *args], env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        raise CheckError(f"`lab {' '.join(args)}` did not return within {timeout:g} s") from None


def _said(done: subprocess.CompletedProcess[str]) -> str:
    text = (done.stderr or done.stdout or "").strip()
    return short(text.splitlines()[-1], 140) if text else "(no output)"


@CHECK_KINDS.kind("crm_down", FaultParams)
def crm_down(params: FaultParams, ctx: CheckContext) -> str:
    """With the CRM stopped the flow answers 503 and /predict 200; the CRM is started again."""
    if not ctx.fault_checks:
        raise CheckSkipped(f"fault checks are off ({ctx.fault_note or '--no-fault-checks'})")
    try:
        segment_update(params, ctx)
    except CheckFailed as exc:
        raise CheckFailed(
            f"not stopping the {params.process}: the flow fails with it up: {exc}"
        ) from None
    stopped = _lab(ctx, "stop", params.process, timeout=60)
    if stopped.returncode == NO_LAB:
        raise CheckSkipped(
            f"no lab run by `lab up` here to stop its {params.process} ({_said(stopped)})"
        )
    if stopped.returncode != 0:
        raise CheckError(
            f"`lab stop {params.process}` failed (exit {stopped.returncode}): {_said(stopped)}"
        )
    try:
        flow, predict = _grade_while_down(params, ctx)
    finally:
        started = _lab(ctx, "start", params.process, timeout=90)
    if started.returncode != 0:
        raise CheckError(
            f"the {params.process} did not start again (`lab start {params.process}` exit "
            f"{started.returncode}): {_said(started)}"
        )
    return (
        f"{params.process} stopped: flow {flow}, /predict {predict}; {params.process} running again"
    )


def _grade_while_down(params: FaultParams, ctx: CheckContext) -> tuple[str, str]:
    api = ctx.targets.api_url
    with ctx.client() as client:
        response = call(
            ctx, client, "POST", f"{api}{params.path}", params={"customer_id": params.customer_id}
        )
        if response.status_code != params.expect_status:
            if response.status_code == 200:
                raise CheckFailed(
                    f"with the {params.process} stopped {params.path} answered 200: it cannot have "
                    "written to the CRM"
                )
            raise CheckFailed(
                f"with the {params.process} stopped {params.path} answered HTTP "
                f"{response.status_code}, expected {params.expect_status}: {error_text(response)}"
            )
        flow = f"{response.status_code} ({error_text(response, 60)})"
        predicted = call(ctx, client, "POST", f"{api}/predict", json={"features": SAMPLE_ROW})
        if predicted.status_code != 200:
            if predicted.status_code >= 500:
                raise unexpected(predicted, f"/predict with the {params.process} stopped")
            raise CheckFailed(
                f"with the {params.process} stopped /predict answered {predicted.status_code}"
            )
    return flow, "200"
