"""The processes `lab exercise verify` runs under `lab up`, so fault checks can stop them.

M4.crm_down stops the CRM and starts it again through the lab's process control (`lab stop
crm`, `lab start crm`), which asks the `lab up` recorded in LAB_HOME/run. So verify runs the
CRM it shares between the workspaces as a learner's lab runs it: `lab up crm` with verify's own
LAB_HOME, its own Procfile and `.env` there (no training: the CRM needs no model). M4's `lab
check` gets `--fault-checks` and that LAB_HOME. On the way out the lab is stopped as `lab down`
stops it (Windows too), which also stops what a `lab up` killed meanwhile left behind.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

from lab import procs
from lab.exercises import build
from lab.files import write_atomic
from lab.orchestration import down, procfile
from lab.orchestration.output import log_path

#: process -> its Procfile line (the lab's own, as in the checkout's Procfile)
PROCESSES = {"crm": "python -m lab crm"}
#: criterion -> the process its fault check stops (and starts again)
FAULTS = {"M4.crm_down": "crm"}


def fault_criteria(module: str) -> list[str]:
    """The module's own criteria that stop a process of verify's `lab up`."""
    return [cid for cid in FAULTS if cid.split(".")[0] == module]


def command(home: Path, names: list[str]) -> list[str]:
    """`lab up NAME...` on the Procfile verify writes in `home` (no model training)."""
    procfile = home / "Procfile"
    return [sys.executable, "-m", "lab", "up", *names, "--procfile", str(procfile), "--quiet",
            "--no-train"]  # fmt: skip


def process_log(home: Path, name: str) -> Path:
    """Where `lab up` logs one process (also what `lab logs NAME` shows)."""
    return log_path(home / "run", name)


def write_files(home: Path, names: list[str], settings: Mapping[str, object]) -> Path:
    """The Procfile and `.env` of verify's lab in `home`; the `.env`'s path."""
    home.mkdir(parents=True, exist_ok=True)
    lines = {n: PROCESSES[n] for n in names}
    write_atomic(home / "Procfile", procfile.render(lines, python="python"))
    env_file = home / ".env"
    write_atomic(env_file, build.env_text(settings, secrets=True), mode=0o600)
    return env_file


@contextlib.contextmanager
def lab_up(names: list[str], cwd: Path, env: dict[str, str], log: Path) -> Iterator[procs.Child]:
    """`lab up NAME...` with env's LAB_HOME (its output in `log`); stopped as `lab down` does."""
    home = Path(env["LAB_HOME"])
    settings = {k: v for k, v in env.items() if k.endswith("_PORT") or k == "CRM_TOKEN"}
    env_file = write_files(home, names, {**settings, "LAB_HOME": home})
    child = procs.spawn_group(
        "lab up", command(home, names), cwd=cwd, env={**env, "LAB_ENV_FILE": str(env_file)},
        log=log,
    )  # fmt: skip
    try:
        yield child
    finally:
        stop(child, home / "run")


def stop(child: procs.Child, run_dir: Path) -> None:
    """`lab down` on the recorded lab (it also sweeps what a killed `lab up` left); a `lab up`
    that recorded none yet, or does not end, is stopped with its tree (lab.procs.stop_tree)."""
    if down.down(run_dir) is not None:
        child.wait(down.OWNER_GRACE)
    procs.stop_tree(child, grace=down.OWNER_GRACE)
