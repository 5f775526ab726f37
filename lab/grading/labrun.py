"""A workspace's own lab, run by `lab grade` to grade its services: `lab up` on free ports.

The lab runs in the private copy of the workspace, with its LAB_HOME inside that copy and the
ports in the environment (which wins over the workspace's .env), so learners graded side by side
never share a port, a database or a model.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from lab.grading.procs import Children, clean_env, spawn, stop_tree, tail
from lab.net import free_ports
from lab.services import PORT_KEYS, SPECS

#: What must answer (any HTTP status) before grading starts; the others are graded as found.
WAIT_FOR = ("api", "crm", "mlflow")


@dataclass(frozen=True)
class RunningLab:
    urls: dict[str, str]  # service -> URL
    env: dict[str, str]  # the environment `lab check` needs to see this lab as its own
    log: Path
    answering: tuple[str, ...]  # services that answered before grading started
    waited: float
    exited: str = ""  # why `lab up` stopped early, if it did

    def note(self) -> str:
        if self.exited:
            return f"the workspace's lab did not start: {self.exited}"
        missing = [s for s in WAIT_FOR if s not in self.answering]
        if not missing:
            return f"the workspace's lab answered after {self.waited:.0f} s"
        return (
            f"after {self.waited:.0f} s the workspace's lab still had no answer from "
            f"{', '.join(missing)} (log: {self.log.name}); graded as found"
        )


def _answers(url: str) -> bool:
    with contextlib.suppress(httpx.HTTPError):
        httpx.get(f"{url}/health", timeout=2.0)
        return True
    return False


@contextlib.contextmanager
def workspace_lab(folder: Path, log: Path, wait: float, children: Children) -> Iterator[RunningLab]:
    """Run `lab up` in `folder` until the block ends; wait up to `wait` s for it to answer."""
    ports = dict(zip(PORT_KEYS, free_ports(len(PORT_KEYS)), strict=True))
    env = clean_env(LAB_HOME=folder / ".lab", LAB_ENV_FILE=folder / ".env", **ports)
    urls = {s.name: f"http://127.0.0.1:{ports[s.port_key]}" for s in SPECS}
    started = time.monotonic()
    proc = spawn([sys.executable, "-m", "lab", "up", "--quiet"], folder, env, log, children)
    try:
        answering: set[str] = set()
        while time.monotonic() - started < wait and proc.poll() is None:
            answering |= {s for s in WAIT_FOR if s not in answering and _answers(urls[s])}
            if answering == set(WAIT_FOR):
                break
            time.sleep(0.5)
        exited = ""
        if proc.poll() is not None:
            exited = f"`lab up` exited with code {proc.returncode}: {tail(log, 6)}"
        yield RunningLab(
            urls, env, log, tuple(s for s in WAIT_FOR if s in answering),
            time.monotonic() - started, exited,
        )  # fmt: skip
    finally:
        stop_tree(proc)
        children.discard(proc)
