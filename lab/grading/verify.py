"""`lab exercise verify`: each solution passes its module's criteria, each starter fails them.

Builds the solution and the starter of every module asked for in a temporary folder, runs the
lab's MLflow and CRM once for all of them (Prometheus too when M5 is asked for), each workspace's
training command and its API on the same port, then `lab check`: on the solution, its module;
on the starter, its module and the modules it needs (but M1, see below). The solution must pass
every criterion of its module; the starter must fail each of them and leave every criterion of the
solved modules passing. M6's criteria include M6.mutants: the solution's tests catch every
mutant of lab.exercises.mutants, the starter's do not (it runs in `lab check`, graded once). The
CRM runs under `lab up` (lab.exercises.supervised), so that M4.crm_down really stops and
restarts it. One workspace's run (its model, its API, its `lab check`) is lab.grading.verify_run;
this module starts the shared services and judges what each check graded.
"""

from __future__ import annotations

import contextlib
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lab import procs
from lab.exercises import build, course, public, supervised
from lab.grading.verify_run import (
    LAB_HOME,
    RESULTS,
    SERVICES,
    api_args,
    check_call,
    child_env,
    lab_env,
    process,
    run_variant,
)

__all__ = ["GIVEN", "LAB_HOME", "RESULTS", "Outcome", "api_args", "check_call", "child_env",
           "verify"]  # fmt: skip

#: Criteria a starter cannot fail, because the workspace gives that part (e.g. its folders).
GIVEN = {
    "M1.layout": "the workspace's folders are given",
    "M2.up": "the app skeleton starts",
    # lab home draws the lab's own dashboard from the metrics M2 already emits
    "M5.dashboard_seen": "lab home and its dashboard are the lab's, fed by M2's metrics",
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
                    run = process(name, [sys.executable, "-m", "lab", name], cwd, env, log)
                    where = str(log)
                child = stack.enter_context(run)
                url = f"http://127.0.0.1:{ports[key]}{path}"
                answer = procs.wait_http(url, 300, child)
                if not answer.ok:
                    first = answer.why.splitlines()[0]
                    raise RuntimeError(f"the lab's {name} did not start: {first}; see {where}")
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
    solution = run_variant(root, module, "solution", ports, token, say, of)
    starter = run_variant(root, module, "starter", ports, token, say, of)
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
    _public_tests(outcome, root)
    outcome.seconds = round(time.monotonic() - started, 1)
    return outcome


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
