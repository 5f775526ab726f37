"""Smoke test of `lab up`'s supervision on any OS (CI runs it on Windows).

`lab up crm api` on free ports, `lab stop crm` (its port closes), `lab start crm` (healthy),
`lab down`, and no process of the lab left. Run from the checkout with the lab installed:

    python .ci/smoke_up.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from lab import procs
from lab.net import bind_error, free_ports
from lab.services import PORT_KEYS


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
        **dict(zip(PORT_KEYS, map(str, free_ports(len(PORT_KEYS))), strict=True)),
        "LAB_HOME": str(home / ".lab"),
        "LAB_ENV_FILE": str(home / ".env"),
        "CRM_TOKEN": "smoke-crm-token-0123456789",
        "ADMIN_TOKEN": "smoke-admin-token-0123456789",
        "GRAFANA_ADMIN_PASSWORD": "smoke-grafana-password-0123",
        "PYTHONUNBUFFERED": "1",
    }
    args = [sys.executable, "-m", "lab", "up", "--no-train", "crm", "api"]
    up = procs.spawn_group("lab up", args, cwd=None, env=env, log=home / "up.log")
    record = home / ".lab" / "run" / "lab.json"
    seen: set[int] = set()

    def states() -> dict[str, str]:
        if up.exit_code() is not None:
            raise SystemExit(f"smoke: lab up exited:\n{up.tail(60)}")
        try:
            data = json.loads(record.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        seen.update(c["pid"] for c in data["children"])
        return {n: v["state"] for n, v in data["processes"].items()}

    try:
        for key in ("CRM_PORT", "API_PORT"):
            procs.wait_http(f"http://127.0.0.1:{env[key]}/health", 180, up).check()
        wait("crm and api healthy", lambda: states() == {"crm": "healthy", "api": "healthy"})
        assert lab(env, "status").returncode == 0
        assert lab(env, "stop", "crm").returncode == 0
        assert bind_error("127.0.0.1", int(env["CRM_PORT"])) is None  # the port is closed
        assert states()["crm"] == "stopped"
        assert lab(env, "start", "crm").returncode == 0
        assert states() == {"crm": "healthy", "api": "healthy"}
        states()
        assert lab(env, "down").returncode == 0
        up.proc.wait(60)
    finally:
        if up.exit_code() is None:
            lab(env, "down")
        procs.stop_tree(up)  # only if `lab down` left it running
        print(up.tail(60))
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
