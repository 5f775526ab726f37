"""`lab bench --chaos`: `lab load` under `lab up` while processes are killed with SIGKILL.

In a temporary LAB_HOME on free ports: `lab up mlflow crm api` (it trains a first model), then
60 s of `lab load` at RATE requests/s. At 10 s the CRM is killed (-9), at 25 s the API, at
40 s MLflow, once each; `lab up` restarts each. Afterwards every answer is judged and every
200 of /crm_segment_update is matched against the CRM's history (lab.bench.reliability).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

from lab import procs
from lab.bench import reliability, targets
from lab.net import free_ports
from lab.observability import load as load_mod
from lab.services import NAMES, spec

SECONDS = 60.0
#: (seconds into the load, process name); each killed once with SIGKILL
KILLS: tuple[tuple[float, str], ...] = ((10.0, "crm"), (25.0, "api"), (40.0, "mlflow"))
HEALTH = {"crm": "/health", "api": "/ready", "mlflow": "/health"}
RECOVERY_TIMEOUT = 180.0  # a restart under load, with MLflow down meanwhile, can take a minute


@dataclass
class Kill:
    name: str
    at: float  # seconds into the load
    pid: int
    back_after: float | None = None  # seconds until its health URL answered 200 again


@dataclass
class ChaosResult:
    seconds: float
    rate: float
    kills: list[Kill]
    answers: reliability.AnswerFigures
    ledger: reliability.LedgerFigures
    notes: list[str] = field(default_factory=list)
    #: memory and open files of each process: once healthy, and at the end (a killed one:
    #: the process `lab up` restarted)
    processes: list[reliability.Growth] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        restarted = all(k.back_after is not None for k in self.kills)
        return restarted and self.answers.undocumented == 0 and self.ledger.clean

    def as_dict(self) -> dict:
        return {
            "seconds": self.seconds,
            "rate": self.rate,
            "kills": [asdict(k) for k in self.kills],
            "answers": {**asdict(self.answers), "by_status": dict(self.answers.by_status)},
            "ledger": asdict(self.ledger),
            "notes": self.notes,
            "processes": [asdict(g) for g in self.processes],
            "passed": self.passed,
        }


def run(
    seconds: float = SECONDS,
    rate: float = 50.0,
    step: Callable[[str], None] = lambda _: None,
    keep: Path | None = None,
    crm_key: Callable[[str, str], str] | None = None,
) -> ChaosResult:
    home = Path(tempfile.mkdtemp(prefix="lab-chaos-")) if keep is None else keep
    home.mkdir(parents=True, exist_ok=True)
    names = ("mlflow", "crm", "api")
    # every process of the one list on a free port (not only those it starts): no default
    ports = dict(zip(NAMES, free_ports(len(NAMES)), strict=True))
    env = targets.lab_env(home, **{spec(k).port_key: v for k, v in ports.items()})
    env["LAB_ENV_FILE"] = str(home / ".env")
    urls = {k: f"http://127.0.0.1:{ports[k]}" for k in names}
    scale = seconds / SECONDS
    up = _start_up(env, home, names)
    try:
        step("lab up mlflow crm api (and a first model)")
        for name in names:
            _wait_healthy(urls[name] + HEALTH[name], 240, up)
        pids = {name: _pid_of(env, home, name, ports[name]) for name in names}
        first = {name: reliability.sample(pid, 0.0) for name, pid in pids.items()}
        plan = load_mod.LoadPlan(rate=rate, duration=seconds, timeout=10.0)
        traffic = reliability.Traffic(plan, urls["api"], urls["crm"]).start()
        kills, watchers = [], []
        for at, name in KILLS:
            while traffic.elapsed() < at * scale:
                time.sleep(0.05)
            step(f"chaos: kill -9 {name} (pid {pids[name]}) at {traffic.elapsed():.0f} s")
            kill = Kill(name, round(traffic.elapsed(), 1), pids[name])
            _kill(kill.pid)
            kills.append(kill)
            watchers.append(_watch_recovery(kill, urls[name] + HEALTH[name], up))
        step("chaos: waiting for the load to finish")
        results = traffic.join()
        for watcher in watchers:
            watcher.join()
        for name in names:
            _wait_healthy(urls[name] + HEALTH[name], RECOVERY_TIMEOUT, up)
        growth = []
        for name in names:
            pid = _pid_of(env, home, name, ports[name])
            last = reliability.sample(pid, traffic.elapsed())
            growth.append(reliability.Growth(name, first[name], last, pid != pids[name]))
    finally:
        _stop(up)
    key = crm_key or reliability.api_crm_key(env["CRM_TOKEN"])
    result = ChaosResult(
        seconds=seconds,
        rate=rate,
        kills=kills,
        answers=reliability.AnswerFigures.of(results),
        ledger=reliability.check_ledger(results, home / "crm" / "crm.db", key),
        processes=growth,
    )
    if keep is None:
        shutil.rmtree(home, ignore_errors=True)
    return result


def _start_up(env: dict[str, str], home: Path, names: tuple[str, ...]) -> procs.Child:
    args = [sys.executable, "-m", "lab", "up", "--quiet", *names]
    return procs.spawn_group("lab up", args, cwd=home, env=env, log=home / "lab-up.log")


def _stop(up: procs.Child) -> None:
    """`lab up` stops its processes on SIGTERM (Ctrl-Break on Windows); then the tree."""
    procs.stop_tree(up, grace=60.0)


def _wait_healthy(url: str, timeout: float, up: procs.Child) -> float | None:
    """Seconds until `url` answers 2xx from `lab up`'s tree, or None after `timeout`."""
    answer = procs.wait_http(url, timeout, up, interval=0.1)
    if answer.exit_code is not None:
        raise targets.StartError(answer.why)
    return answer.seconds if answer.ok else None


def _watch_recovery(kill: Kill, url: str, up: procs.Child) -> threading.Thread:
    """A thread that sets `kill.back_after`: seconds until a new process answers `url`."""

    def watch() -> None:
        started = time.monotonic()
        with contextlib.suppress(psutil.Error):
            procs.wait_gone([psutil.Process(kill.pid)], RECOVERY_TIMEOUT)
        left = RECOVERY_TIMEOUT - (time.monotonic() - started)
        if procs.wait_http(url, max(left, 0.0), up, interval=0.1).ok:
            kill.back_after = round(time.monotonic() - started, 1)

    thread = threading.Thread(target=watch, name=f"recovery-{kill.name}", daemon=True)
    thread.start()
    return thread


def _kill(pid: int) -> None:
    with contextlib.suppress(psutil.NoSuchProcess):
        psutil.Process(pid).kill()  # SIGKILL on POSIX, TerminateProcess on Windows


def _pid_of(env: dict[str, str], home: Path, name: str, port: int) -> int:
    """The process `lab status --json` names, else the one listening on its port."""
    with contextlib.suppress(subprocess.SubprocessError, ValueError, KeyError, TypeError):
        out = subprocess.run(
            [sys.executable, "-m", "lab", "status", "--json"],
            env=env, cwd=home, capture_output=True, timeout=30, check=True,
        ).stdout  # fmt: skip
        status = json.loads(out)
        entries = status.get("processes", status) if isinstance(status, dict) else status
        if isinstance(entries, dict):
            return int(entries[name]["pid"])
        return int(next(e["pid"] for e in entries if e.get("name") == name))
    for conn in psutil.net_connections("tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port and conn.pid:  # type: ignore[union-attr]
            return conn.pid
    raise targets.StartError(f"no process of {name} found (port {port})")
