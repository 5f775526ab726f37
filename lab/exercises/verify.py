"""`lab exercise verify`: each solution passes its module's criteria, each starter fails them.

Builds the solution and the starter of every module asked for in a temporary folder, runs the
lab's MLflow and CRM once for all of them (Prometheus too when M5 is asked for), each workspace's
training command and its API on the same port, then `lab check`: on the solution, its module;
on the starter, its module and the modules it needs (but M1, see below). The solution must pass
every criterion of its module; the starter must fail each of them and leave every criterion of the
solved modules passing. M6's criteria include M6.mutants: the solution's tests catch every
mutant of lab.exercises.mutants, the starter's do not (it runs in `lab check`, graded once). The
CRM runs under `lab up` (lab.exercises.supervised), so that M4.crm_down really stops and
restarts it.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from lab import workspace
from lab.exercises import build, course, supervised

SERVICES = (
    ("mlflow", "MLFLOW_PORT", "/health"),
    ("crm", "CRM_PORT", "/health"),
    ("prometheus", "PROMETHEUS_PORT", "/-/ready"),
)
LAB_HOME = "lab-home"  # verify's own, in its folder: the shared services' data and `lab up`
RESULTS = Path(".lab") / "verify-check.json"  # `lab check`'s results, in each workspace
#: Criteria a starter cannot fail, because the workspace gives that part (e.g. its folders).
GIVEN = {
    "M1.layout": "the workspace's folders are given",
    "M2.up": "the app skeleton starts",
}


@dataclass
class Outcome:
    module: str
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: "solution" / "starter" -> criterion id -> (status, observed) as `lab check` graded it
    graded: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def _env(home: Path, ports: dict[str, int], token: str) -> dict[str, str]:
    return {
        **os.environ,
        "LAB_HOME": str(home),
        **{k: str(v) for k, v in ports.items()},
        "CRM_TOKEN": token,
        "ADMIN_TOKEN": secrets.token_urlsafe(24),
        "GRAFANA_ADMIN_PASSWORD": secrets.token_urlsafe(24),
        "PYTHONUNBUFFERED": "1",
    }


def _wait(url: str, seconds: float, proc: subprocess.Popen[bytes] | None = None) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(url, timeout=2.0)
            return True
        time.sleep(0.3)
    return False


@contextlib.contextmanager
def _process(
    args: list[str], cwd: Path, env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def check_call(
    ws: workspace.Workspace, module: str, graded: list[str], env: dict[str, str], root: Path
) -> tuple[list[str], dict[str, str]]:
    """`lab check` of the graded modules of the workspace (results in RESULTS), and its
    environment. The module's own fault checks (M4.crm_down) run: they stop and start a process
    of verify's `lab up` (lab.exercises.supervised), whose LAB_HOME `lab check` is given. Any
    other fault check (M4.crm_down on M5's starter, say) is left out: it would only repeat M4's.
    """
    log = ws.root / ".lab" / "run" / "api.log"
    out = ws.root / RESULTS
    # --fresh: every check runs (no pass kept from an earlier run of the same workspace)
    cmd = [sys.executable, "-m", "lab", "check", "--project-dir", str(ws.root), "--json", str(out)]
    cmd.append("--fresh")
    if supervised.fault_criteria(module):
        cmd += ["--fault-checks"]
        env = {**env, "LAB_HOME": str(root / LAB_HOME)}
    else:
        cmd += ["--no-fault-checks"]
    if log.is_file():
        cmd += ["--api-log", str(log)]
    for m in graded:
        cmd += ["-m", m]
    return cmd, env


def _statuses(
    ws: workspace.Workspace, module: str, graded: list[str], env: dict[str, str], root: Path
) -> dict[str, tuple[str, str]]:
    """criterion id -> (status, observed) of `lab check` on the graded modules of the workspace."""
    cmd, env = check_call(ws, module, graded, env, root)
    out = ws.root / RESULTS
    done = subprocess.run(cmd, cwd=ws.root, env=env, capture_output=True, text=True, timeout=900)
    if not out.is_file():
        said = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return {
            f"{m}.*": ("fail", f"`lab check` wrote no results, exit {done.returncode}: {said}")
            for m in graded
        }
    doc = json.loads(out.read_text(encoding="utf-8"))
    return {
        c["id"]: (c["status"], c.get("observed", "")) for m in doc["modules"] for c in m["criteria"]
    }


def _model(
    ws: workspace.Workspace,
    module: str,
    env: dict[str, str],
    cache: Path,
    say: Callable[[str], None],
) -> None:
    """The workspace's model: M3's workspaces train (that is the exercise), the others copy the
    model files the first successful training wrote (training takes seconds each)."""
    models = ws.root / ".lab" / "models"
    if module != "M3" and cache.is_dir():
        shutil.copytree(cache, models, dirs_exist_ok=True)
        return
    command = ws.command("train")
    if command is None:  # an M1 starter: naming the training command is the exercise
        say(f"  {ws.root.name}: no [commands] train, nothing trained")
        return
    done = subprocess.run(
        command, cwd=ws.root, env=env, capture_output=True, text=True, timeout=600
    )  # fmt: skip
    say(f"  {ws.root.name}: training exit {done.returncode}")
    if done.returncode == 0 and not cache.is_dir():
        shutil.copytree(models, cache)


def _run_variant(
    root: Path,
    module: str,
    variant: str,
    ports: dict[str, int],
    token: str,
    say: Callable[[str], None],
    of: course.Course,
) -> dict[str, tuple[str, str]]:
    exercise = of.get(module)
    name = f"{module}-{variant}"
    settings = {**ports, "CRM_TOKEN": token, "MODEL_NAME": f"churn-{name.lower()}"}
    ws = build.create(root / name, module, variant=variant, settings=settings, git=False, of=of)
    env = {k: v for k, v in os.environ.items() if k not in settings and k != "LAB_HOME"}
    # `lab check` in the workspace grades against this course (its mutants, its project)
    env.update({"LAB_ENV_FILE": str(ws.env_file), "PYTHONUNBUFFERED": "1"})
    env["LAB_COURSE"] = str(of.root)
    if ws.env_file.is_file():
        _model(ws, module, env, root / "model-cache", say)
    # the solution: its module; the starter: also what it needs, to see it breaks nothing there.
    # M1 and M3 are left out of the latter (slow: installing, training, a browser), as their
    # criteria read M1's own files and M3's training only, which no other starter changes (the
    # criteria that also read another module's code are the course's `uses`).
    # M1's starter has no .env yet, so nothing it needs can run: it is graded on M1 alone.
    starter = variant == "starter" and module != "M1"
    needs = [m for m in exercise.needs if m not in ("M1", "M3")] if starter else []
    graded = [*needs, module]
    needs_api = any("api" in of.get(m).services for m in graded)
    if not needs_api or not ws.env_file.is_file():  # no .env: it would take the default ports
        return _statuses(ws, module, graded, env, root)
    api = ws.process_args("api", ws.settings()) or []
    with _process(api, ws.root, env, ws.root / ".lab" / "run" / "api.log") as proc:
        if not _wait(f"http://127.0.0.1:{ports['API_PORT']}/health", 180, proc):
            say(f"  {name}: the API did not start (see {ws.root / '.lab/run/api.log'})")
        return _statuses(ws, module, graded, env, root)


def verify(
    modules: list[str],
    say: Callable[[str], None] = print,
    keep: Path | None = None,
    of: course.Course | None = None,
) -> list[Outcome]:
    """Verify `modules` (default: all) of course `of` (default: the lab's own)."""
    of = of or course.load()
    modules = [of.get(m).id for m in modules] or list(of.ids)
    ports = build.free_ports(preferred=())
    token = secrets.token_urlsafe(24)
    services = {s for m in modules for g in (*of.get(m).needs, m) for s in of.get(g).services}
    with contextlib.ExitStack() as stack:
        root = keep or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="lab-verify-")))
        home = root / LAB_HOME
        env = _env(home, ports, token)
        for name, key, path in SERVICES:
            if name in services:
                log = home / "run" / f"{name}.log"
                if name in supervised.PROCESSES:  # under `lab up`, for the fault checks
                    log = home / "run" / f"lab-up-{name}.log"  # `lab up`'s own output
                    run = supervised.lab_up([name], root, env, log)
                    where = f"{log} and {supervised.process_log(home, name)}"
                else:
                    run = _process([sys.executable, "-m", "lab", name], root, env, log)
                    where = str(log)
                proc = stack.enter_context(run)
                if not _wait(f"http://127.0.0.1:{ports[key]}{path}", 300, proc):
                    raise RuntimeError(f"the lab's {name} did not start: see {where}")
        return [_verify_module(root, m, ports, token, say, of) for m in modules]


def _verify_module(
    root: Path,
    module: str,
    ports: dict[str, int],
    token: str,
    say: Callable[[str], None],
    of: course.Course,
) -> Outcome:
    started = time.monotonic()
    outcome = Outcome(module)
    own = lambda cid: cid.split(".")[0] == module  # noqa: E731
    solution = _run_variant(root, module, "solution", ports, token, say, of)
    starter = _run_variant(root, module, "starter", ports, token, say, of)
    outcome.graded = {"solution": solution, "starter": starter}
    for cid, (status, observed) in solution.items():
        if status in ("skip", "error"):  # error: the grading environment could not run it
            outcome.notes.append(f"{cid}: {status}, not verified ({observed})")
        elif status != "pass":
            outcome.problems.append(f"solution: {cid} {status}: {observed}")
        elif starter.get(cid, ("?",))[0] == "pass":
            if cid in GIVEN:
                outcome.notes.append(f"{cid}: the starter passes it too ({GIVEN[cid]})")
            else:
                outcome.problems.append(f"starter passes {cid}: {starter[cid][1]}")
    for cid, (status, observed) in starter.items():
        if own(cid) or module in of.uses_of(cid) or status in ("skip", "error"):
            continue
        if status != "pass":  # a module the exercise needs is solved: it must still pass
            outcome.problems.append(f"starter breaks {cid} ({status}): {observed}")
    _faults_ran(outcome, solution, starter, ports)
    outcome.seconds = round(time.monotonic() - started, 1)
    return outcome


def _faults_ran(
    outcome: Outcome,
    solution: dict[str, tuple[str, str]],
    starter: dict[str, tuple[str, str]],
    ports: dict[str, int],
) -> None:
    """Say which of the module's fault checks ran (really stopping a process of verify's `lab
    up`), and make sure that process runs again afterwards."""
    for cid in supervised.fault_criteria(outcome.module):
        name = supervised.FAULTS[cid]
        ran = {v: r[cid][0] for v, r in (("solution", solution), ("starter", starter)) if cid in r}
        if ran.get("solution") in ("pass", "fail"):
            said = ", ".join(f"{v} {status}" for v, status in ran.items())
            outcome.notes.append(f"{cid}: ran, the {name} stopped through `lab up` ({said})")
        port = ports[f"{name.upper()}_PORT"]
        if not _wait(f"http://127.0.0.1:{port}/health", 60):
            outcome.problems.append(f"{cid}: the {name} is not running after the fault check")
