"""Shared test support: free ports, lab processes on them, and tools that CI must have.

Integration tests start real processes (`python -m lab <verb>`) on free ports inside a
temporary LAB_HOME. Use `LabProcess` so every process is stopped and its log shown on failure.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import httpx
import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_ports(n: int) -> list[int]:
    """`n` distinct free ports (all held open together while they are chosen)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def require_tool(name: str, hint: str = "") -> str:
    """Path of executable `name`; skip the test locally, fail it under CI=true."""
    found = shutil.which(name)
    if found:
        return found
    message = f"{name} is not installed{': ' + hint if hint else ''}"
    if IN_CI:
        pytest.fail(f"CI=true and {message}")
    pytest.skip(message)


def venv_tool(name: str, hint: str = "pip install -e '.[test]'") -> str:
    """A tool a PyPI package installed beside this interpreter (venv not activated), else PATH."""
    beside = Path(sys.executable).parent / (name + (".exe" if sys.platform == "win32" else ""))
    return str(beside) if beside.is_file() else require_tool(name, hint)


def lab_env(home: Path, **values: object) -> dict[str, str]:
    """An environment for a lab process: LAB_HOME in `home`, secrets set, no stray .env."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "PROMETHEUS_MULTIPROC"))
    }
    env.update(
        LAB_HOME=str(home),
        LAB_ENV_FILE=str(home / "no.env"),
        CRM_TOKEN="test-crm-token-0000",
        ADMIN_TOKEN="test-admin-token",
        GRAFANA_ADMIN_PASSWORD="test-grafana-password",
        GRAFANA_SECRET_KEY="test-grafana-secret-key",
        API_TOKEN="test-api-token-0000",
        PYTHONUNBUFFERED="1",
        GIT_PYTHON_REFRESH="quiet",
    )
    env.update({k: str(v) for k, v in values.items()})
    return env


def wait_until(check: Callable[[], bool], timeout: float, what: str, interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")


def http_ok(url: str) -> Callable[[], bool]:
    return lambda: httpx.get(url, timeout=2).status_code == 200


class LabProcess:
    """`python -m lab <args>` as a real child process, logging to a file."""

    def __init__(self, args: list[str], env: Mapping[str, str], log: Path, cwd: Path | None = None):
        self.args = args
        self.log_path = log
        log.parent.mkdir(parents=True, exist_ok=True)
        self._log = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "lab", *args],
            env=dict(env),
            cwd=cwd or REPO,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_healthy(self, url: str, timeout: float = 60) -> None:
        def check() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"lab {' '.join(self.args)} exited:\n{self.log()[-3000:]}")
            return http_ok(url)()

        try:
            wait_until(check, timeout, f"{url} ({' '.join(self.args)})")
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}\n{self.log()[-3000:]}") from None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()


@contextlib.contextmanager
def lab_process(args: list[str], env: Mapping[str, str], log: Path) -> Iterator[LabProcess]:
    p = LabProcess(args, env, log)
    try:
        yield p
    finally:
        p.stop()
