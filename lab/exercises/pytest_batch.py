"""Several runs of a learner's tests for the price of one pytest start-up (M6.mutants).

Starting pytest in a course's venv costs seconds of CPU before the first test runs (pytest and
the plugins of every installed package: hypothesis, schemathesis...), and M6.mutants runs the
same tests five times (the correct app, then each mutant): most of the grading CPU of a learner.
Here one driver process, in the learner's interpreter (in its sandbox under `lab grade`),
imports pytest and its plugins once (a session in an empty folder), then forks one child per
run, `workers` at a time: each child goes to its own copy of the project and runs
`pytest.main` there, as `python -m pytest` would, in a process group of its own (killed as a
whole when it ends or runs out of time).

Each child's output goes to a pipe of the driver, which keeps its last bytes only (whatever a
test prints), and reports one line per run: its exit code and its last line. The driver makes
itself non-dumpable first, so a run cannot open the driver's output through /proc. Without
`os.fork` (Windows), each run is its own `python -m pytest` process (`run_one`).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lab.sandbox import Prepared, Sandbox, capture

__all__ = ["PYTEST_ARGS", "SuiteRun", "run_batch"]

#: The arguments of every run (no cache written, no random order: runs must compare).
PYTEST_ARGS = ("-q", "-x", "-p", "no:cacheprovider", "-p", "no:randomly")
#: Seconds the driver may take past the runs' own time limits (its start-up, the reports).
SLACK = 30.0
_REPORT = "pytest-batch: "

_DRIVER = r"""
import json, os, selectors, signal, sys, time, traceback
spec = json.loads(sys.argv[1])
if sys.platform.startswith("linux"):
    try:
        import ctypes
        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0
    except Exception:
        pass
import contextlib, shutil, tempfile
import pytest
runs, args, workers, timeout = spec["runs"], spec["args"], spec["workers"], spec["timeout"]
# warm up: a session that collects nothing loads every plugin through pytest's own import hook
# (as each run would: no "already imported" warning in the runs), in a scratch folder
warm, here = tempfile.mkdtemp(), os.getcwd()
os.chdir(warm)
try:
    with open(os.devnull, "w") as null, contextlib.redirect_stdout(null), \
            contextlib.redirect_stderr(null):
        pytest.main([*args, "--collect-only", warm])
except BaseException:
    pass
os.chdir(here)
shutil.rmtree(warm, ignore_errors=True)
TAIL = 4096
owned = set()

def child(run, w):
    os.setpgid(0, 0)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0); os.dup2(w, 1); os.dup2(w, 2)
    for fd in owned | {w, null}:
        try:
            os.close(fd)
        except OSError:
            pass
    os.chdir(run["cwd"])
    sys.path[0] = run["cwd"]
    os.environ.update(run["env"])
    try:
        code = pytest.main(list(args))
    except SystemExit as exc:
        code = exc.code
        if code is not None and not isinstance(code, int):
            print(code, file=sys.stderr)
            code = 1
    except BaseException:
        traceback.print_exc()
        code = 1
    try:
        sys.stdout.flush(); sys.stderr.flush()
    finally:
        os._exit(int(code or 0) & 0xFF)

def report(i, code, tail):
    lines = [ln for ln in tail.decode("utf-8", "replace").splitlines() if ln.strip()]
    last = lines[-1].strip("= ") if lines else "(no output)"
    print("pytest-batch: " + json.dumps({"i": i, "code": code, "last": last}), flush=True)

def kill(pid):
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass

def exit_code(status):
    code = os.waitstatus_to_exitcode(status)
    return code if code >= 0 else 128 - code  # killed by a signal: as a shell says it

def run_group(indexes):
    sel = selectors.DefaultSelector()
    todo, live, ended = list(indexes), {}, {}
    while todo or live:
        while todo and len(live) < workers:
            i = todo.pop(0)
            r, w = os.pipe()
            sys.stdout.flush(); sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                child(runs[i], w)
            os.close(w)
            owned.add(r)
            sel.register(r, selectors.EVENT_READ, pid)
            live[pid] = {"i": i, "fd": r, "tail": b"", "until": time.monotonic() + timeout,
                         "code": None, "ended": None, "open": True}
        for key, _ in sel.select(0.05):
            one = live[key.data]
            chunk = os.read(key.fd, 65536)
            if chunk:
                one["tail"] = (one["tail"] + chunk)[-TAIL:]
            else:
                sel.unregister(key.fd)
                one["open"] = False
        now = time.monotonic()
        for pid, one in list(live.items()):
            if one["ended"] is None:
                got, status = os.waitpid(pid, os.WNOHANG)
                if got == pid:
                    one["code"] = exit_code(status)
                elif now > one["until"]:
                    kill(pid)
                    os.waitpid(pid, 0)  # code None: out of time
                else:
                    continue
                one["ended"] = now
                kill(pid)  # what the run left behind in its group
            if one["open"] and now - one["ended"] < 1.0:
                continue  # the last of its output
            if one["open"]:
                sel.unregister(one["fd"])
            os.close(one["fd"])
            owned.discard(one["fd"])
            del live[pid]
            ended[one["i"]] = one
    return ended

first = spec["first_must_pass"]
for n, group in enumerate([[0], list(range(1, len(runs)))] if first else [list(range(len(runs)))]):
    ended = run_group(group)
    for i in group:
        report(i, ended[i]["code"], ended[i]["tail"])
    if first and ended[0]["code"] != 0:
        break
"""


@dataclass(frozen=True)
class SuiteRun:
    """One run of the learner's tests: pytest's exit code (None: out of time), its last line."""

    code: int | None
    summary: str

    @property
    def passed(self) -> bool:
        return self.code == 0


def run_one(project: Path, python: str, timeout: float, sandbox: Sandbox | None) -> SuiteRun:
    """One run in its own `python -m pytest` process (in `sandbox` when given)."""
    extra = {"PYTHONDONTWRITEBYTECODE": "1", "LAB_ENV_FILE": str(project / ".env")}
    cmd = [python, "-m", "pytest", *PYTEST_ARGS]
    if sandbox is not None:
        prepared = sandbox.prepare(cmd, cwd=project, env=extra, writable=[project])
    else:
        prepared = Prepared(cmd, {**os.environ, **extra})
    ran = capture.run(prepared, project.with_name(project.name + ".log"), max(timeout, 1),
                      cwd=project)  # fmt: skip
    if ran.code is None:
        return SuiteRun(None, f"timed out after {timeout:g} s")
    lines = [line for line in ran.text().splitlines() if line.strip()]
    return SuiteRun(ran.code, lines[-1].strip("= ") if lines else "(no output)")


def run_batch(
    projects: Sequence[Path], python: str, timeout: float, workers: int,
    sandbox: Sandbox | None = None, *, first_must_pass: bool = False,
    one: Callable[[Path, str, float, Sandbox | None], SuiteRun] = run_one,
) -> list[SuiteRun | None]:  # fmt: skip
    """The tests of each project (scratch copies, none inside another), `workers` at a time,
    each within `timeout` s. With `first_must_pass`, the first runs alone and the others only
    if it passes (their entries are then None). Without `os.fork`, `one` runs each."""
    if not projects:
        return []
    if not hasattr(os, "fork"):
        return _one_by_one(projects, python, timeout, first_must_pass, sandbox, one)
    waves = 1 + math.ceil((len(projects) - (1 if first_must_pass else 0)) / max(workers, 1))
    spec = {
        "runs": [{"cwd": str(p), "env": {"LAB_ENV_FILE": str(p / ".env")}} for p in projects],
        "args": list(PYTEST_ARGS), "workers": max(workers, 1), "timeout": max(timeout, 1.0),
        "first_must_pass": first_must_pass,
    }  # fmt: skip
    cmd = [python, "-c", _DRIVER, json.dumps(spec)]
    env = {"PYTHONDONTWRITEBYTECODE": "1"}
    cwd = projects[0].parent
    if sandbox is not None:
        prepared = sandbox.prepare(cmd, cwd=cwd, env=env, writable=list(projects))
    else:
        prepared = Prepared(cmd, {**os.environ, **env})
    with tempfile.TemporaryDirectory(prefix="lab-pytest-batch-") as logs:  # out of the sandbox
        ran = capture.run(prepared, Path(logs) / "driver.log", waves * max(timeout, 1.0) + SLACK,
                          cwd=cwd)  # fmt: skip
        reports = [ln[len(_REPORT) :] for ln in ran.text().splitlines() if ln.startswith(_REPORT)]
        driver_said = capture.tail_lines(ran.log, 3)
    found: dict[int, SuiteRun] = {}
    for line in reports:
        data = json.loads(line)
        code = data["code"]
        found[data["i"]] = SuiteRun(code, data["last"] if code is not None else
                                    f"timed out after {timeout:g} s")  # fmt: skip
    if not found:  # the driver itself failed (no pytest in that interpreter, say)
        said = (driver_said.strip().splitlines() or ["(no output)"])[-1].strip("= ")
        failed = SuiteRun(ran.code or 1, said)
        if ran.code is None:
            failed = SuiteRun(None, f"timed out after {timeout:g} s")
        return [failed] + [None if first_must_pass else failed for _ in projects[1:]]
    skipped = first_must_pass and not found.get(0, SuiteRun(1, "")).passed
    return [
        found.get(i) or (None if skipped else SuiteRun(None, f"timed out after {timeout:g} s"))
        for i in range(len(projects))
    ]


def _one_by_one(
    projects: Sequence[Path], python: str, timeout: float, first_must_pass: bool,
    sandbox: Sandbox | None, one: Callable[[Path, str, float, Sandbox | None], SuiteRun],
) -> list[SuiteRun | None]:  # fmt: skip
    results: list[SuiteRun | None] = []
    for n, project in enumerate(projects):
        if first_must_pass and n and not (results[0] and results[0].passed):
            results.append(None)
            continue
        results.append(one(project, python, timeout, sandbox))
    return results
