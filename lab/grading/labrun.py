"""A workspace's own lab, run by `lab grade` to grade its services: `lab up` in its sandbox.

`python -I -m lab up` runs inside the learner's sandbox (lab.sandbox): `-I` keeps the copy's
own `lab/` folder, if it has one, from standing in for the lab. The lab's LAB_HOME is inside the
copy and its ports are free ones given in the environment (which wins over the copy's .env), so
learners graded side by side never share a port, a database or a model. The grader waits for
it from outside, over loopback; stopping the sandbox stops every process in it.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil

from lab import procs
from lab.grading.procs import Children
from lab.net import free_ports
from lab.sandbox import Sandbox, capture
from lab.services import PORT_KEYS, SPECS

#: What must answer (any HTTP status, from the sandbox's processes: lab.procs.wait_each) before
#: grading starts; the others are graded as found.
WAIT_FOR = ("api", "crm", "mlflow")


@dataclass(frozen=True)
class RunningLab:
    urls: dict[str, str]  # service -> URL
    env: dict[str, str]  # the lab's settings (LAB_HOME, ports) `lab check` needs to see it
    log: Path
    answering: tuple[str, ...]  # services that answered before grading started
    waited: float
    exited: str = ""  # why `lab up` stopped early, if it did
    sandbox: Sandbox | None = None  # the sandbox it runs in, joinable (fault checks)

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


def _inner_pid(running: capture.Running) -> int | None:
    """The PID (as the grader sees it) of the sandbox's first process, whose PID namespace
    the fault checks join; None outside a sandbox."""
    with contextlib.suppress(psutil.Error):
        children = psutil.Process(running.pid).children()
        return children[0].pid if children else None
    return None


@contextlib.contextmanager
def workspace_lab(
    folder: Path, sandbox: Sandbox, log: Path, wait: float, children: Children
) -> Iterator[RunningLab]:
    """Run `lab up` in `folder` until the block ends; wait up to `wait` s for it to answer."""
    ports = dict(zip(PORT_KEYS, free_ports(len(PORT_KEYS)), strict=True))
    env = {"LAB_HOME": str(folder / ".lab"), "LAB_ENV_FILE": str(folder / ".env"),
           **{k: str(v) for k, v in ports.items()}}  # fmt: skip
    urls = {s.name: f"http://127.0.0.1:{ports[s.port_key]}" for s in SPECS}
    cmd = [sys.executable, "-I", "-m", "lab", "up", "--quiet"]
    running = capture.start(
        sandbox.prepare(cmd, cwd=folder, env=env), log, cwd=folder, name="`lab up`"
    )  # fmt: skip
    children.add(running)
    try:
        health = {s: f"{urls[s]}/health" for s in WAIT_FOR}
        answers = procs.wait_each(health, wait, running.child, interval=0.5, any_status=True)
        answering = tuple(s for s in WAIT_FOR if s in answers and answers[s].ok)
        waited = sum(a.seconds for a in answers.values())
        exited = ""
        if (code := running.poll()) is not None:
            exited = f"`lab up` exited with code {code}: {capture.tail_lines(log, 6)}"
        inner = _inner_pid(running) if sandbox.isolated else None
        yield RunningLab(
            urls, env, log, answering, waited, exited,
            sandbox.joining(inner) if inner is not None else sandbox,
        )  # fmt: skip
    finally:
        running.stop(grace=10.0)  # `lab up` stops its processes on SIGTERM; then all are killed
        children.discard(running)
