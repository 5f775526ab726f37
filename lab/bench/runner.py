"""One benchmark run: start MLflow, train, start the servers, measure them all, stop them.

Targets (all 1 uvicorn worker, keep-alive, the same load generator):
- `lab`: the serving API's POST /predict, one row and a 10,000-row batch;
- `hello`: a Litestar POST /predict that does nothing (the framework ceiling);
- `mlflow`: `mlflow models serve --env-manager local` on the same registered model.

Another workload (e.g. the CRM segment-update flow) is a `Workload` (target name -> request)
passed to `compare`, inside `run` where its processes are started.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sysconfig
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from lab.bench import crm_flow, loadgen, targets
from lab.net import free_ports

MLFLOW_SERVE_FLAGS = ["--env-manager", "local", "--workers", "1", "--host", "127.0.0.1"]


@dataclass(frozen=True)
class Measurement:
    target: str
    workload: str  # "single" or "batch"
    concurrency: int
    requests_per_s: float
    rows_per_s: float
    p50_ms: float
    p99_ms: float
    completed: int
    failures: int

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Plan:
    seconds: float = 6.0  # measured time per target and concurrency, split into rounds
    warmup: float = 1.0
    concurrency: tuple[int, ...] = (1, 32)
    rounds: int = 3  # targets take turns, round by round; each keeps its best round
    mlflow_serve: bool = True


Step = Callable[[str], None]
Workload = dict[str, loadgen.Request]


def compare(
    requests: Workload,
    workload: str,
    rows: int,
    plan: Plan,
    step: Step,
    levels: tuple[int, ...] | None = None,
) -> list[Measurement]:
    """Measure each target at each concurrency, interleaved; the best round of each counts.

    Interleaving spreads any noise from other programs over every target alike; the best round
    is the one least disturbed by them.
    """  # fmt: skip
    out = []
    for c in levels or plan.concurrency:
        best: dict[str, loadgen.Result] = {}
        failures = dict.fromkeys(requests, 0)
        for r in range(plan.rounds):
            for name, req in requests.items():
                step(f"{workload}: {name} at concurrency {c} (round {r + 1}/{plan.rounds})")
                warm = plan.warmup if r == 0 else min(plan.warmup, 0.3)
                got = loadgen.run(req, c, plan.seconds / plan.rounds, warm)
                failures[name] += got.failures
                if name not in best or got.rps > best[name].rps:
                    best[name] = got
        for name, got in best.items():
            out.append(
                Measurement(
                    target=name,
                    workload=workload,
                    concurrency=c,
                    requests_per_s=got.rps,
                    rows_per_s=got.rps * rows,
                    p50_ms=got.percentile_ms(50),
                    p99_ms=got.percentile_ms(99),
                    completed=got.completed,
                    failures=failures[name],
                )
            )
    return out


def run(plan: Plan, step: Step = lambda _: None, keep: Path | None = None) -> list[Measurement]:
    """Everything on free ports in a temporary LAB_HOME (kept in `keep` if given)."""
    home = Path(tempfile.mkdtemp(prefix="lab-bench-")) if keep is None else keep
    logs = home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    keys = ("mlflow", "api", "hello", "serve", "crm", "api_hand_pool")
    ports = dict(zip(keys, free_ports(len(keys)), strict=True))
    env = targets.lab_env(
        home, MLFLOW_PORT=ports["mlflow"], API_PORT=ports["api"], CRM_PORT=ports["crm"],
        CRM_HTTP_TRANSPORT="httpx",
    )  # fmt: skip
    tracking = f"http://127.0.0.1:{ports['mlflow']}"
    local = "127.0.0.1"
    try:
        with contextlib.ExitStack() as stack:
            step("starting MLflow")
            stack.enter_context(
                targets.started(
                    "mlflow", ["-m", "lab", "mlflow"], env, logs, f"{tracking}/health", 120
                )
            )
            step("training and registering the model (lab train)")
            targets.train(env, logs)
            step("starting the CRM, the lab API and the Litestar ceiling")
            crm_flow.start_crm(stack, env, logs, ports["crm"])
            api = f"http://{local}:{ports['api']}"
            stack.enter_context(
                targets.started("api", ["-m", "lab", "serve"], env, logs, f"{api}/ready", 120)
            )
            hand = f"http://{local}:{ports['api_hand_pool']}"
            hand_env = {**env, "API_PORT": str(ports["api_hand_pool"]), "CRM_HTTP_TRANSPORT": "lab"}
            stack.enter_context(
                targets.started(
                    "api-hand-pool", ["-m", "lab", "serve"], hand_env, logs, f"{hand}/ready", 120
                )
            )
            hello_args = [
                "-m", "uvicorn", "--factory", "lab.bench.hello:create_app", "--host", local,
                "--port", str(ports["hello"]), "--no-access-log", "--log-level", "warning",
            ]  # fmt: skip
            hello_ready = f"http://{local}:{ports['hello']}/ping"
            stack.enter_context(targets.started("hello", hello_args, env, logs, hello_ready, 60))
            single = {
                "lab": loadgen.Request(local, ports["api"], "/predict", targets.lab_single()),
                "hello": loadgen.Request(local, ports["hello"], "/predict", targets.lab_single()),
            }
            batch = {
                "lab": loadgen.Request(local, ports["api"], "/predict", targets.lab_batch()),
            }
            mlflow_batch = {}
            if plan.mlflow_serve:
                single["mlflow"], mlflow_batch["mlflow"] = _mlflow_serve(
                    stack, env, logs, tracking, ports["serve"], step
                )
            results = compare(single, "single", 1, plan, step)
            results += compare(batch, "batch", targets.BATCH_ROWS, plan, step)
            # One 10,000-row call to mlflow takes ~0.1 s: measured at concurrency 1 only.
            results += compare(mlflow_batch, "batch", targets.BATCH_ROWS, plan, step, (1,))
            flow = crm_flow.workload(local, ports["api"], ports["api_hand_pool"])
            results += compare(flow, crm_flow.WORKLOAD, 1, plan, step, crm_flow.LEVELS)
    finally:
        if keep is None:
            shutil.rmtree(home, ignore_errors=True)
    return results


def _mlflow_serve(
    stack: contextlib.ExitStack, env: dict[str, str], logs: Path, tracking: str, port: int,
    step: Callable[[str], None],
) -> tuple[loadgen.Request, ...]:  # fmt: skip
    step("starting mlflow models serve (local env)")
    # mlflow runs `uvicorn` from PATH: put this interpreter's scripts folder first.
    path = os.pathsep.join([sysconfig.get_path("scripts"), env.get("PATH", "")])
    serve_env = {**env, "MLFLOW_TRACKING_URI": tracking, "PATH": path}
    args = [
        "-m", "mlflow", "models", "serve", "-m", f"models:/{targets.MODEL_NAME}@champion",
        "--port", str(port), *MLFLOW_SERVE_FLAGS,
    ]  # fmt: skip
    stack.enter_context(
        targets.started("mlflow-serve", args, serve_env, logs, f"http://127.0.0.1:{port}/ping", 180)
    )
    return tuple(
        loadgen.Request("127.0.0.1", port, "/invocations", targets.mlflow_body(n))
        for n in (1, targets.BATCH_ROWS)
    )
