"""The test helpers themselves: a wait retries only "not yet", fails at once with the log when
its process exits, and says the last error seen; a lab process gets none of the shell's settings."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from lab.net import bind_error
from lab.settings import Settings
from tests.support import (
    Deadline,
    LabProcess,
    NotYet,
    ProcessExited,
    free_port,
    http_ok,
    lab_env,
    wait_until,
)


@pytest.fixture
def answering() -> Iterator[callable]:
    """A local HTTP server; `answering(status)` makes it answer every GET with that status."""
    state = {"status": 200}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = f"status {state['status']}".encode()
            self.send_response(state["status"])
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def set_status(status: int) -> str:
        state["status"] = status
        return f"http://127.0.0.1:{server.server_address[1]}/health"

    yield set_status
    server.shutdown()
    server.server_close()


def test_a_crashed_process_fails_the_wait_at_once_with_its_log(tmp_path: Path) -> None:
    env = lab_env(tmp_path)
    proc = LabProcess(["no-such-verb"], env, tmp_path / "crashed.log")
    try:
        started = time.monotonic()
        with pytest.raises(ProcessExited) as failed:
            proc.wait_healthy(f"http://127.0.0.1:{free_port()}/health", timeout=120)
        elapsed = time.monotonic() - started
    finally:
        proc.stop()
    message = str(failed.value)
    # Not a timing test: the wait ends at its first poll after the exit (every 0.2 s, see the
    # next test), far below its 120 s timeout whatever the machine's load.
    assert elapsed < 60, f"the wait took {elapsed:.1f}s"
    assert "lab no-such-verb exited with code 2" in message
    assert "No such command 'no-such-verb'" in message  # the log, attached


def test_a_process_already_gone_fails_the_first_check(tmp_path: Path) -> None:
    proc = LabProcess(["no-such-verb"], lab_env(tmp_path), tmp_path / "gone.log")
    proc.proc.wait(60)
    calls = []
    with pytest.raises(ProcessExited, match="No such command"):
        wait_until(lambda: calls.append(1), 120, "never", watch=proc)
    proc.stop()
    assert calls == []


def test_an_error_that_is_not_a_not_yet_fails_at_once() -> None:
    calls = []

    def check() -> bool:
        calls.append(1)
        raise KeyError("model_version")

    with pytest.raises(KeyError, match="model_version"):
        wait_until(check, 120, "a key")
    assert len(calls) == 1


def test_a_timeout_says_the_last_error_seen() -> None:
    def check() -> bool:
        raise NotYet("HTTP 503 from /ready: not ready: no champion")

    with pytest.raises(TimeoutError) as failed:
        wait_until(check, 0.3, "the API", interval=0.05)
    assert "waiting for the API" in str(failed.value)
    assert "last: NotYet: HTTP 503 from /ready: not ready: no champion" in str(failed.value)


def test_a_timeout_says_the_last_value_seen() -> None:
    with pytest.raises(TimeoutError, match=r"last: the check returned \[\]"):
        wait_until(lambda: [], 0.2, "series", interval=0.05)


def test_http_ok_retries_refused_and_503_and_fails_at_once_on_500(answering) -> None:
    closed = f"http://127.0.0.1:{free_port()}/health"
    with pytest.raises(TimeoutError, match="last: ConnectError"):
        wait_until(http_ok(closed), 0.3, "a closed port", interval=0.05)
    with pytest.raises(TimeoutError, match=r"last: NotYet: HTTP 503 from .* status 503"):
        wait_until(http_ok(answering(503)), 0.3, "a 503", interval=0.05)
    calls = []

    def counted() -> bool:
        calls.append(1)
        return http_ok(answering(500))()

    with pytest.raises(AssertionError, match=r"HTTP 500 from .* status 500"):
        wait_until(counted, 120, "a 500")
    assert len(calls) == 1  # no retry
    wait_until(http_ok(answering(200)), 5, "a 200")


def test_deadline_shares_one_budget() -> None:
    budget = Deadline(100)
    assert 99 < budget.left() <= 100
    assert budget.left(cap=10) == 10
    assert Deadline(-1).left() == 0


def test_lab_env_passes_on_no_lab_setting_of_the_shell(tmp_path: Path, monkeypatch) -> None:
    for key, value in {
        "API_WORKERS": "4",
        "CHALLENGER_SHARE": "0.5",
        "crm_url": "http://elsewhere:1",
        "MLFLOW_TRACKING_URI": "http://elsewhere:2",
        "LAB_CONFIG_DIR": "/elsewhere",
        "MODEL_NAME": "someone-elses",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("UNRELATED_TO_THE_LAB", "kept")
    env = lab_env(tmp_path, MODEL_NAME="mine")
    leaked = {"API_WORKERS", "CHALLENGER_SHARE", "crm_url", "CRM_URL", "MLFLOW_TRACKING_URI"}
    assert not leaked & set(env), {k: env[k] for k in leaked & set(env)}
    assert "LAB_CONFIG_DIR" not in env
    assert env["MODEL_NAME"] == "mine"
    assert env["LAB_HOME"] == str(tmp_path)
    assert env["UNRELATED_TO_THE_LAB"] == "kept"


def test_lab_env_never_leaves_lab_home_on_its_default_port(tmp_path: Path, monkeypatch) -> None:
    """A test that runs the whole Procfile gets `home` on a free port (8080 may be another
    test's), the exported one left out; a port the test names wins."""
    monkeypatch.setenv("HOME_PORT", "8080")
    port = int(lab_env(tmp_path)["HOME_PORT"])
    assert port != Settings.model_fields["HOME_PORT"].default
    assert bind_error("127.0.0.1", port) is None
    assert lab_env(tmp_path, HOME_PORT=1234)["HOME_PORT"] == "1234"
