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
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lab import procs, workspace
from lab.acceptance.session import CheckOptions
from lab.exercises import build, course, public, supervised
from lab.settings import load_settings

SERVICES = (
    ("mlflow", "MLFLOW_PORT", "/health"),
    ("crm", "CRM_PORT", "/health"),
    ("prometheus", "PROMETHEUS_PORT", "/-/ready"),
    # M5.dashboard_seen grades the dashboard through `lab home` where Grafana cannot run
    ("home", "HOME_PORT", "/health"),
)
LAB_HOME = "lab-home"  # verify's own, in its folder: the shared services' data and `lab up`
RESULTS = Path(".lab") / "verify-check.json"  # `lab check`'s results, in each workspace
#: Criteria a starter cannot fail, because the workspace gives that part (e.g. its folders).
GIVEN = {
    "M1.layout": "the workspace's folders are given",
    "M2.up": "the app skeleton starts",
    # lab home draws the lab's own dashboard from the metrics M2 already emits
    "M5.dashboard_seen": "lab home and its dashboard are the lab's, fed by M2's metrics",
}
#: Modules a starter is not graded on again for the modules it needs (see _run_variant)
NOT_REGRADED = ("M1", "M3")


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


def lab_env(home: Path, ports: dict[str, int], token: str) -> dict[str, str]:
    return {
        **os.environ,
        "LAB_HOME": str(home),
        **{k: str(v) for k, v in ports.items()},
        "CRM_TOKEN": token,
        "ADMIN_TOKEN": secrets.token_urlsafe(24),
        "GRAFANA_ADMIN_PASSWORD": secrets.token_urlsafe(24),
        "PYTHONUNBUFFERED": "1",
    }


@contextlib.contextmanager
def _process(
    name: str, args: list[str], cwd: Path, env: dict[str, str], log: Path
) -> Iterator[procs.Child]:
    child = procs.spawn_group(name, args, cwd=cwd, env=env, log=log)
    try:
        yield child
    finally:
        procs.stop_tree(child, grace=15.0)


def child_env(ports: dict[str, int], given: Mapping[str, object]) -> dict[str, str]:
    """The environment of a workspace's processes: the shell's, without the settings verify
    gives (`given`: they come from the workspace's .env) and without any exported `*_PORT`, then
    every port of verify's lab set explicitly (the environment wins over .env: an exported
    API_PORT would start the API on another port than the one verify waits on)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in given and k != "LAB_HOME" and not k.endswith("_PORT")
    }
    env.update({k: str(v) for k, v in ports.items()})
    env["PYTHONUNBUFFERED"] = "1"
    return env


def api_args(ws: workspace.Workspace, ports: dict[str, int]) -> list[str]:
    """The workspace's API command, its placeholders filled with verify's ports (not with a
    port exported in the shell)."""
    return ws.process_args("api", load_settings(env_file=ws.env_file, **ports)) or []


def check_call(
    ws: workspace.Workspace, module: str, graded: list[str], env: dict[str, str], root: Path
) -> tuple[list[str], dict[str, str]]:
    """`lab check` of the graded modules of the workspace (results in RESULTS), and its
    environment. The module's own fault checks (M4.crm_down) run: they stop and start a process
    of verify's `lab up` (lab.exercises.supervised), whose LAB_HOME `lab check` is given
    (`--lab-home`). Any
    other fault check (M4.crm_down on M5's starter, say) is left out: it would only repeat M4's.
    """
    log = ws.root / ".lab" / "run" / "api.log"
    faults = bool(supervised.fault_criteria(module))
    options = CheckOptions(
        # `lab stop|start` ask the `lab up` recorded there; a workspace's own LAB_HOME (its
        # .lab, which `lab check --project-dir` takes over an exported one) has none
        lab_home=root / LAB_HOME if faults else None,
        modules=tuple(graded),
        project_dir=ws.root,
        json_path=str(ws.root / RESULTS),
        fresh=True,  # every check runs: no pass kept from an earlier run of the same workspace
        fault_checks=faults,
        api_log=log if log.is_file() else None,
    )
    return options.command(), env


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


def provide_model(
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
    env = child_env(ports, settings)
    # `lab check` in the workspace grades against this course (its mutants, its project)
    env["LAB_ENV_FILE"] = str(ws.env_file)
    env["LAB_COURSE"] = str(of.root)
    if ws.env_file.is_file():
        provide_model(ws, module, env, root / "model-cache", say)
    # the solution: its module; the starter: also what it needs, to see it breaks nothing there.
    # M1 and M3 are left out of the latter (slow: installing, training, a browser), as their
    # criteria read M1's own files and M3's training only, which no other starter changes (the
    # criteria that also read another module's code are the course's `uses`).
    # M1's starter has no .env yet, so nothing it needs can run: it is graded on M1 alone.
    starter = variant == "starter" and module != "M1"
    needs = [m for m in exercise.needs if m not in NOT_REGRADED] if starter else []
    return grade(ws, module, [*needs, module], ports, env, root, say, of)


def grade(
    ws: workspace.Workspace,
    module: str,
    graded: list[str],
    ports: dict[str, int],
    env: dict[str, str],
    root: Path,
    say: Callable[[str], None],
    of: course.Course,
) -> dict[str, tuple[str, str]]:
    """`lab check` of the graded modules of the workspace, with its API running on verify's
    port when they need one (and the workspace has a .env: else it would take the defaults)."""
    needs_api = any("api" in of.get(m).services for m in graded)
    if not needs_api or not ws.env_file.is_file():
        return _statuses(ws, module, graded, env, root)
    log = ws.root / ".lab" / "run" / "api.log"
    with _process("api", api_args(ws, ports), ws.root, env, log) as child:
        # the app's OpenAPI document: a starter's /health is a TODO (501), its app still starts
        url = f"http://127.0.0.1:{ports['API_PORT']}/schema/openapi.json"
        answer = procs.wait_http(url, 180, child)
        if not answer.ok:
            first = answer.why.splitlines()[0]
            say(f"  {ws.root.name}: the API did not start: {first} (see {log})")
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
        env = lab_env(home, ports, token)
        start_services(stack, root, services, env, ports, of)
        return [_verify_module(root, m, ports, token, say, of) for m in modules]


def start_services(
    stack: contextlib.ExitStack,
    root: Path,
    services: set[str],
    env: dict[str, str],
    ports: dict[str, int],
    of: course.Course,
) -> None:
    """Start verify's shared `services` (stopped when `stack` closes); RuntimeError when one
    does not answer."""
    home = Path(env["LAB_HOME"])
    for name, key, path in SERVICES:
        if name in services:
            log = home / "run" / f"{name}.log"
            if name in supervised.PROCESSES:  # under `lab up`, for the fault checks
                log = home / "run" / f"lab-up-{name}.log"  # `lab up`'s own output
                run = supervised.lab_up([name], root, env, log)
                where = f"{log} and {supervised.process_log(home, name)}"
            else:
                # Prometheus loads a workspace's rules as under `lab up` in one: the
                # solution's, which every workspace with the monitoring module solved holds
                cwd = root
                if name == "prometheus":
                    cwd = build.rules_workspace(root / "prometheus-rules", of)
                run = _process(name, [sys.executable, "-m", "lab", name], cwd, env, log)
                where = str(log)
            child = stack.enter_context(run)
            url = f"http://127.0.0.1:{ports[key]}{path}"
            answer = procs.wait_http(url, 300, child)
            if not answer.ok:
                first = answer.why.splitlines()[0]
                raise RuntimeError(f"the lab's {name} did not start: {first}; see {where}")


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
    solution = _run_variant(root, module, "solution", ports, token, say, of)
    starter = _run_variant(root, module, "starter", ports, token, say, of)
    outcome.graded = {"solution": solution, "starter": starter}
    judge(outcome, solution, starter, ports, of)
    _public_tests(outcome, root)
    outcome.seconds = round(time.monotonic() - started, 1)
    return outcome


def judge(
    outcome: Outcome,
    solution: dict[str, tuple[str, str]],
    starter: dict[str, tuple[str, str]],
    ports: dict[str, int],
    of: course.Course,
) -> None:
    """The solution passes every criterion of the module, the starter fails each (but GIVEN)
    and passes every other criterion graded (but those that also grade this module's code)."""
    module = outcome.module
    own = lambda cid: cid.split(".")[0] == module  # noqa: E731
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


def _public_tests(outcome: Outcome, root: Path) -> None:
    """The module's public tests (tests/public -m MODULE) pass on its solution, fail on its
    starter, in the workspace's interpreter (the lab's)."""
    for variant, wanted in (("solution", True), ("starter", False)):
        got = public.run(root / f"{outcome.module}-{variant}", [outcome.module])
        if got is None:
            outcome.notes.append(f"{variant}: no public tests")
        elif got.passed != wanted:
            outcome.problems.append(f"{variant}: {got.line()}")
        else:
            outcome.notes.append(f"{variant}: {got.line()}")


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
        if not procs.wait_http(f"http://127.0.0.1:{port}/health", 60).ok:
            outcome.problems.append(f"{cid}: the {name} is not running after the fault check")
