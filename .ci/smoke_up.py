"""Smoke test of `lab up`'s supervision on any OS (CI runs it on Windows).

`lab up crm api` on free ports, `lab stop crm` (its port closes), `lab start crm` (healthy),
`lab down`, and no process of the lab left. Run from the checkout with the lab installed:

    python .ci/smoke_up.py
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from lab.net import bind_error

KEYS = ("API_PORT", "CRM_PORT", "MLFLOW_PORT", "PROMETHEUS_PORT", "GRAFANA_PORT")


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def lab(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "lab", *args], env=env, capture_output=True, text=True, timeout=180
    )
    print(f"$ lab {' '.join(args)} -> {result.returncode}\n{result.stdout}{result.stderr}")
    return result


def wait(what: str, check, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise SystemExit(f"smoke: timed out waiting for {what}")


def main() -> int:
    home = Path(tempfile.mkdtemp(prefix="lab-smoke-"))
    env = {
        **os.environ,
        **dict(zip(KEYS, map(str, free_ports(len(KEYS))), strict=True)),
        "LAB_HOME": str(home / ".lab"),
        "LAB_ENV_FILE": str(home / ".env"),
        "CRM_TOKEN": "smoke-crm-token-0123456789",
        "ADMIN_TOKEN": "smoke-admin-token-0123456789",
        "GRAFANA_ADMIN_PASSWORD": "smoke-grafana-password-0123",
        "PYTHONUNBUFFERED": "1",
    }
    kwargs: dict = {}
    if sys.platform == "win32":
        kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
    log = (home / "up.log").open("wb")
    up = subprocess.Popen(
        [sys.executable, "-m", "lab", "up", "--no-train", "crm", "api"],
        env=env, stdout=log, stderr=subprocess.STDOUT, **kwargs,
    )  # fmt: skip
    record = home / ".lab" / "run" / "lab.json"
    seen: set[int] = set()

    def states() -> dict[str, str]:
        if up.poll() is not None:
            raise SystemExit(f"smoke: lab up exited:\n{(home / 'up.log').read_text()}")
        try:
            data = json.loads(record.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        seen.update(c["pid"] for c in data["children"])
        return {n: v["state"] for n, v in data["processes"].items()}

    try:
        wait("crm and api healthy", lambda: states() == {"crm": "healthy", "api": "healthy"})
        assert lab(env, "status").returncode == 0
        assert lab(env, "stop", "crm").returncode == 0
        assert bind_error("127.0.0.1", int(env["CRM_PORT"])) is None  # the port is closed
        assert states()["crm"] == "stopped"
        assert lab(env, "start", "crm").returncode == 0
        assert states() == {"crm": "healthy", "api": "healthy"}
        states()
        assert lab(env, "down").returncode == 0
        up.wait(60)
    finally:
        if up.poll() is None:
            lab(env, "down")
        if up.poll() is None:
            up.kill()
        log.close()
        print((home / "up.log").read_text(encoding="utf-8", errors="replace")[-3000:])
    left = [p for p in seen if psutil.pid_exists(p) and _running(p)]
    if left:
        raise SystemExit(f"smoke: left running: {left}")
    print(f"smoke: ok, {len(seen)} processes started and none left")
    return 0


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


if __name__ == "__main__":
    sys.exit(main())
