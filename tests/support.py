"""Shared test support: free ports, lab processes on them, and tools that CI must have.

Integration tests start real processes (`python -m lab <verb>`) on free ports inside a
temporary LAB_HOME. Use `LabProcess` so every process is stopped and its log shown on failure.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import httpx
import pytest

from lab.net import free_port as free_port
from lab.net import free_ports as free_ports
from lab.settings import Settings

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
REPO = Path(__file__).resolve().parent.parent
#: How much of a process log a failure shows.
LOG_TAIL = 4000
#: A cap, not a timed assertion: `lab mlflow` answers /health in ~7 s idle, but under a load
#: average of 10-17 (a parallel CI run) it created its tables and still had not answered at 90 s.
MLFLOW_START_TIMEOUT = 180


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


def _lab_setting(key: str) -> bool:
    upper = key.upper()
    return upper in Settings.model_fields or upper.startswith(_LAB_PREFIXES)


_LAB_PREFIXES = ("LAB_", "MLFLOW_", "PROMETHEUS_MULTIPROC")


def lab_env(home: Path, **values: object) -> dict[str, str]:
    """An environment for a lab process: LAB_HOME in `home`, secrets set, no stray .env.

    Every lab setting of the developer's shell (any Settings field, LAB_*, MLFLOW_*) is left
    out, so a test sees only the values it passes.
    """
    env = {k: v for k, v in os.environ.items() if not _lab_setting(k)}
    env.update(
        LAB_HOME=str(home),
        LAB_ENV_FILE=str(home / "no.env"),
        CRM_TOKEN="test-crm-token-0000",
        ADMIN_TOKEN="test-admin-token",
        GRAFANA_ADMIN_PASSWORD="test-grafana-password",
        GRAFANA_SECRET_KEY="test-grafana-secret-key",
        API_TOKEN="test-api-token-0000",
        LAB_SIGNING_KEY="test-signing-key-0000",
        PYTHONUNBUFFERED="1",
        GIT_PYTHON_REFRESH="quiet",
    )
    # `lab home` (the Procfile's sixth process) on a free port unless the test names one, so
    # tests that run the whole Procfile never meet on its default 8080
    env["HOME_PORT"] = str(free_port())
    env.update({k: str(v) for k, v in values.items()})
    return env


class NotYet(Exception):
    """Raised by a wait check: the thing is not ready yet, and why (kept as the last error)."""


#: What a wait may retry: the service is not listening or not answering yet. Anything else a
#: check raises (an assertion, a PromQL error, a KeyError) fails the wait at once.
NOT_YET: tuple[type[BaseException], ...] = (NotYet, httpx.TransportError, ConnectionError)


class ProcessExited(RuntimeError):
    """The process a wait watched exited before the wait was met."""


class Deadline:
    """One time budget shared by chained waits, so their sum stays within pytest's timeout."""

    def __init__(self, seconds: float):
        self.end = time.monotonic() + seconds

    def left(self, cap: float = float("inf")) -> float:
        return max(0.0, min(cap, self.end - time.monotonic()))


def _exited(watch: LabProcess | subprocess.Popen | None) -> str | None:
    """The exit and log tail of `watch` if it has exited, else None."""
    if watch is None:
        return None
    proc = watch.proc if isinstance(watch, LabProcess) else watch
    code = proc.poll()
    if code is None:
        return None
    log = watch.log()[-LOG_TAIL:] if isinstance(watch, LabProcess) else ""
    return f"{_describe(watch)} exited with code {code}" + (f"; its log:\n{log}" if log else "")


def _describe(watch: LabProcess | subprocess.Popen) -> str:
    if isinstance(watch, LabProcess):
        return "lab " + " ".join(watch.args)
    return " ".join(map(str, watch.args)) if isinstance(watch.args, list) else str(watch.args)


def wait_until(
    check: Callable[[], object],
    timeout: float,
    what: str,
    interval: float = 0.2,
    *,
    watch: LabProcess | subprocess.Popen | None = None,
    not_yet: tuple[type[BaseException], ...] = NOT_YET,
) -> None:
    """Poll `check` until it returns something truthy.

    Only the `not_yet` errors (connection refused, a read timeout, NotYet such as a 503) are
    retried; any other error fails at once. When `watch` (a process) exits, the wait fails at
    once with its exit code and log. A timeout says the last error or value seen.
    """
    deadline = time.monotonic() + timeout
    last = "never checked"
    while True:
        gone = _exited(watch)
        if gone is not None:
            raise ProcessExited(f"while waiting for {what}: {gone}")
        try:
            result = check()
        except not_yet as exc:
            last = f"{type(exc).__name__}: {exc}"
        else:
            if result:
                return
            last = f"the check returned {result!r:.300}"
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    tail = ""
    if isinstance(watch, LabProcess):
        tail = f"\nlog of {_describe(watch)}:\n{watch.log()[-LOG_TAIL:]}"
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}; last: {last}{tail}")


def http_ok(url: str) -> Callable[[], bool]:
    """A wait check: True on a 200; a 502/503/504 is NotYet; any other status fails the wait."""

    def check() -> bool:
        answer = httpx.get(url, timeout=2)
        if answer.status_code in (502, 503, 504):
            raise NotYet(f"HTTP {answer.status_code} from {url}: {answer.text[:300]}")
        assert answer.status_code == 200, f"HTTP {answer.status_code} from {url}: {answer.text}"
        return True

    return check


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
        """Wait for a 200 from `url`; fails at once, with the log, if the process exits."""
        wait_until(http_ok(url), timeout, f"{url} ({' '.join(self.args)})", watch=self)

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
def lab_process(
    args: list[str], env: Mapping[str, str], log: Path, cwd: Path | None = None
) -> Iterator[LabProcess]:
    p = LabProcess(args, env, log, cwd)
    try:
        yield p
    finally:
        p.stop()
