"""One workspace under `lab exercise verify`'s lab: its model, its API, its `lab check`.

lab.grading.verify builds the solution and the starter of a module; for each, `run_variant`
trains it (or copies the model the first training wrote), starts its API on verify's port when
the graded modules need one, and runs `lab check` on the graded modules (`check_call`): what
that check graded comes back as criterion id -> (status, observed).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import subprocess
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from lab import procs, workspace
from lab.acceptance.session import CheckOptions
from lab.exercises import build, course, supervised
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
def process(
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


def run_variant(
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
    log = ws.root / ".lab" / "run" / "api.log"
    with process("api", api_args(ws, ports), ws.root, env, log) as child:
        # the app's OpenAPI document: a starter's /health is a TODO (501), its app still starts
        url = f"http://127.0.0.1:{ports['API_PORT']}/schema/openapi.json"
        answer = procs.wait_http(url, 180, child)
        if not answer.ok:
            first = answer.why.splitlines()[0]
            say(f"  {name}: the API did not start: {first} (see {log})")
        return _statuses(ws, module, graded, env, root)
