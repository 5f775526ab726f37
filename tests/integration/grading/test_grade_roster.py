"""`lab grade` on a class of four, all real processes on free ports:

- ref: the reference lab (`lab up` in a copy of this checkout), graded by its URLs + files;
- m4: a workspace holding M4's starter (`lab exercise start M4`): `lab grade` runs its lab;
- broken: the deliberately broken service (500s, no /metrics) on every URL;
- dead: URLs where nothing answers.

Then the instructor's hidden rubric is added (`--extra-rubric`, `--regrade`): the scores change
only through the hidden criteria. `lab check --format junit|github-summary` output validates.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import xmlschema

from lab.acceptance import load_rubric
from lab.settings import Settings
from tests.integration.grading.helpers import criteria, rows
from tests.support import (
    REPO,
    LabProcess,
    free_port,
    free_ports,
    lab_env,
    require_tool,
    wait_until,
)
from tests.unit.acceptance.test_formats import SCHEMA, _tables

# two labs start and a class is graded twice: longer than one test's default 300 s
pytestmark = [pytest.mark.integration, pytest.mark.timeout(1200)]

COPY_IGNORE = (".git", ".lab", ".venv", "__pycache__", ".pytest_cache", ".ruff_cache", ".tox",
               ".mypy_cache", ".env", "grades")  # fmt: skip
EXTRA = REPO / "config" / "rubric.extra.example.yml"
RUBRIC_WEIGHTS = {
    c.id: c.weight for m in load_rubric(REPO / "config" / "rubric.yml").modules for c in m.criteria
}


@dataclass
class Classroom:
    root: Path
    roster: Path
    env: dict[str, str]
    ref_urls: dict[str, str]
    dead_url: str
    procs: list = field(default_factory=list)

    def grade(
        self, *args: str, roster: Path | None = None
    ) -> tuple[subprocess.CompletedProcess, float]:
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "lab", "grade", str(roster or self.roster), "--no-tests",
             "--jobs", "4", "--budget", "400", *args],
            env=self.env, cwd=self.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        try:
            out, err = proc.communicate(timeout=900)
        finally:
            if proc.poll() is None:  # SIGTERM: `lab grade` stops the labs it started
                proc.terminate()
                proc.communicate(timeout=60)
        done = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
        seconds = time.monotonic() - started
        print(f"lab grade {' '.join(args)}: {seconds:.1f} s")  # the "Done when" figure
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert "Traceback" not in done.stderr, done.stderr
        return done, seconds


def set_env_lines(path: Path, values: dict[str, object]) -> None:
    """`.env` with KEY=value for each of `values` (replacing the lines `lab init` wrote)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    for key, value in values.items():
        pattern = re.compile(rf"^{key}=")
        lines = [ln for ln in lines if not pattern.match(ln)] + [f"{key}={value}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def classroom(tmp_path_factory) -> Iterator[Classroom]:
    require_tool("prometheus", "apt install prometheus")
    require_tool("git")
    root = tmp_path_factory.mktemp("classroom")
    # the reference: a copy of this checkout with its own .env (the lab reads it: ports, tokens)
    ref = root / "ref"
    shutil.copytree(REPO, ref, ignore=shutil.ignore_patterns(*COPY_IGNORE))
    home = root / "ref-home"
    settings_keys = set(Settings.model_fields) - {"LAB_HOME"}
    env = {k: v for k, v in lab_env(home, COLUMNS=200).items() if k not in settings_keys}
    env["LAB_ENV_FILE"] = str(ref / ".env")
    subprocess.run([sys.executable, "-m", "lab", "init"], env=env, cwd=ref, check=True,
                   capture_output=True)  # fmt: skip
    names = ("API", "CRM", "MLFLOW", "PROMETHEUS", "GRAFANA")
    ports = dict(zip(names, free_ports(len(names)), strict=True))
    set_env_lines(ref / ".env", {f"{n}_PORT": p for n, p in ports.items()})
    urls = {n.lower(): f"http://127.0.0.1:{p}" for n, p in ports.items()}
    # `lab up` runs `lab home` too: on a port of its own (not 8080, which another lab may hold);
    # the grader reads the reference's .env, so M5.dashboard_seen finds this page
    home_port = free_port()
    set_env_lines(ref / ".env", {"HOME_PORT": home_port})
    procs = [LabProcess(["up", "--quiet"], env, root / "ref-up.log", cwd=ref)]
    # the M4 starter, in a workspace of its own
    ws = root / "ws-m4"
    subprocess.run(
        [sys.executable, "-m", "lab", "exercise", "start", "M4", "--dir", str(ws)],
        env=lab_env(root / "exercise-home"), cwd=root, check=True, capture_output=True,
    )  # fmt: skip
    broken_port, dead_port = free_port(), free_port()
    broken_log = (root / "broken.log").open("wb")
    broken = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.acceptance.broken_service", str(broken_port),
         str(root / "broken-api.log")],  # default mode: every answer a 500, no /metrics
        cwd=REPO, stdout=broken_log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    broken_url, dead_url = (f"http://127.0.0.1:{p}" for p in (broken_port, dead_port))
    roster = root / "roster.csv"
    rows = [
        ["id", "workspace", "api_url", "crm_url", "mlflow_url", "prometheus_url", "grafana_url",
         "python", "lab_home"],
        ["ref", str(ref), *urls.values(), sys.executable, str(home)],
        ["m4", str(ws), "", "", "", "", "", "", ""],
        ["broken", "", *[broken_url] * 5, "", ""],
        ["dead", "", dead_url, dead_url, "", "", "", "", ""],
    ]  # fmt: skip
    with roster.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    try:
        procs[0].wait_healthy(f"{urls['api']}/ready", timeout=240)
        for what in ("crm", "mlflow"):
            procs[0].wait_healthy(f"{urls[what]}/health", timeout=120)
        procs[0].wait_healthy(f"{urls['prometheus']}/-/ready", timeout=60)
        procs[0].wait_healthy(f"http://127.0.0.1:{home_port}/health", timeout=60)
        wait_until(lambda: httpx.get(f"{broken_url}/health", timeout=2).status_code == 500, 20,
                   "the broken service")  # fmt: skip
        yield Classroom(root, roster, lab_env(root / "grader-home", COLUMNS=200), urls, dead_url)
    finally:
        for proc in procs:
            proc.stop()
        broken.terminate()
        broken.wait(10)
        broken_log.close()


@pytest.fixture(scope="module")
def graded(classroom) -> Path:
    out = classroom.root / "grades"
    done, _ = classroom.grade("--out", str(out))
    assert "4/4" in done.stdout  # the progress bar's last state
    return out


def test_every_learner_gets_a_row_feedback_and_evidence(graded):
    assert list(rows(graded / "grades.csv")) == ["ref", "m4", "broken", "dead"]
    header = (graded / "grades.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "id,M1,M2,M3,M4,M5,M6,total,graded_max,status"
    for learner in ("ref", "m4", "broken", "dead"):
        feedback = json.loads((graded / "feedback" / f"{learner}.json").read_text("utf-8"))
        assert feedback["modules"] and feedback["hidden"] == {"points": 10, "ran": False,
                                                              "criteria": []}  # fmt: skip
        assert (graded / "feedback" / f"{learner}.html").read_text("utf-8").startswith("<!doctype")


def test_the_reference_gets_full_marks_but_what_cannot_run_here(graded):
    seen = criteria(graded, "ref")
    by_status: dict[str, dict[str, str]] = {}
    for cid, c in seen.items():
        by_status.setdefault(c["status"], {})[cid] = c["observed"]
    assert not by_status.get("fail"), by_status.get("fail")
    # --no-tests; fault checks are for the local lab only. Grafana cannot run on these machines:
    # M5.grafana is skipped, so it is left out and its fallback M5.dashboard_seen (the reference's
    # `lab home`) is graded in its place
    assert set(by_status["skip"]) == {"M6.tests", "M4.crm_down"}, by_status["skip"]
    assert seen["M5.dashboard_seen"]["status"] == "pass" and "M5.grafana" not in seen
    # `error` is the grading machine's fault (a check's time budget on a loaded machine), not
    # the reference's: shown, and allowed
    print("errors (grading environment):", by_status.get("error"))
    row = rows(graded / "grades.csv")["ref"]
    lost = sum(c["weight"] for c in seen.values() if c["status"] != "pass")
    # M6.mutants (broken copies of the exercise's app) and M3.promote (it edits a run's metric
    # only the course's training reads) cannot apply to the lab's checkout: they are left out of
    # the run and of the maximum, so the reference loses nothing for them
    workspace_only = {"M6.mutants", "M3.promote"}
    evidence = json.loads((graded / "evidence" / "ref.json").read_text(encoding="utf-8"))
    chosen = next(a for a in evidence["attempts"] if a["chosen"])["result"]
    assert set(chosen["not_applicable"]) == workspace_only | {"M5.grafana"}
    assert not workspace_only & set(seen)
    # M5.dashboard_seen takes M5.grafana's weight: only the workspace-only ones leave the maximum
    assert RUBRIC_WEIGHTS["M5.dashboard_seen"] == RUBRIC_WEIGHTS["M5.grafana"]
    assert chosen["max_points"] == 100 - sum(RUBRIC_WEIGHTS[c] for c in workspace_only)
    assert float(row["total"]) == chosen["max_points"] - lost and row["status"] == "incomplete"


def test_the_m4_starter_misses_m4(graded):
    m4 = criteria(graded, "m4")
    row, ref_row = rows(graded / "grades.csv")["m4"], rows(graded / "grades.csv")["ref"]
    m4_ids = [cid for cid in m4 if cid.startswith("M4.")]
    assert {m4[cid]["status"] for cid in m4_ids} == {"fail"}, {c: m4[c]["observed"] for c in m4_ids}
    assert row["M4"] == "0" and int(ref_row["M4"]) > 0
    # M1-M3 are solved in an M4 workspace (M5, M6 are the later exercises' starters there): they
    # are given, shown as such, and not counted as the learner's points
    assert row["M1"] == row["M2"] == row["M3"] == "given" and int(ref_row["M3"]) > 0
    assert all(m4[c]["status"] == "pass" for c in m4 if c.startswith("M3."))
    assert "fault checks are off" not in m4["M4.crm_down"]["observed"]  # its lab: they ran
    evidence = json.loads((graded / "evidence" / "m4.json").read_text(encoding="utf-8"))
    assert "the workspace's lab answered" in " ".join(evidence["attempts"][0]["notes"])
    chosen = next(a for a in evidence["attempts"] if a["chosen"])["result"]
    assert set(chosen["given"]) == {"M1", "M2", "M3"}
    mine = sum(m["points"] for m in chosen["modules"] if not m["given"])
    assert float(row["total"]) == chosen["points"] == mine
    feedback = json.loads((graded / "feedback" / "m4.json").read_text(encoding="utf-8"))
    assert "M3 given (solved by the course): not counted in your points" in feedback["notes"]


def test_the_broken_service_misses_its_own_criteria(graded):
    seen = criteria(graded, "broken")
    for cid in ("M2.health", "M2.predict", "M2.reject", "M3.registry", "M4.segment_update",
                "M5.metrics"):  # fmt: skip
        assert seen[cid]["status"] == "fail", (cid, seen[cid]["observed"])
        assert re.search(r"HTTP (500|404)", seen[cid]["observed"]), (cid, seen[cid]["observed"])
    assert rows(graded / "grades.csv")["broken"]["total"] == "0"


def test_the_dead_one_gets_zero_on_every_service_criterion_with_the_reason(graded, classroom):
    seen = criteria(graded, "dead")
    row = rows(graded / "grades.csv")["dead"]
    assert row["status"] == "unreachable" and row["total"] == "0"
    for cid in ("M2.health", "M2.predict", "M4.segment_update", "M5.metrics"):
        assert seen[cid]["status"] == "fail" and seen[cid]["points"] == 0
        assert classroom.dead_url in seen[cid]["observed"], seen[cid]["observed"]
    # no MLflow, Prometheus or Grafana URL in the roster: those are not graded, shown skipped
    assert seen["M3.registry"]["status"] == "skip"
    assert "not graded" in seen["M3.registry"]["observed"]


def test_the_hidden_rubric_changes_scores_only_through_its_own_criteria(graded, classroom):
    roster = classroom.root / "roster-no-m4.csv"
    lines = classroom.roster.read_text(encoding="utf-8").splitlines()
    roster.write_text("\n".join(ln for ln in lines if not ln.startswith("m4,")) + "\n", "utf-8")
    out = classroom.root / "grades-hidden"
    done, _ = classroom.grade("--out", str(out), "--extra-rubric", str(EXTRA),
                              "--regrade", str(graded / "grades.csv"), roster=roster)  # fmt: skip
    before, after = rows(graded / "grades.csv"), rows(out / "grades.csv")
    for learner in ("ref", "broken", "dead"):
        old, new = criteria(graded, learner), criteria(out, learner)
        hidden = {cid: c for cid, c in new.items() if cid not in old}
        assert len(hidden) == 5 and all(".hidden_" in cid for cid in hidden)
        assert {cid: c["status"] for cid, c in new.items() if cid in old} == {
            cid: c["status"] for cid, c in old.items()
        }, learner  # the public criteria graded the same
        gained = sum(c["points"] for c in hidden.values())
        assert float(after[learner]["total"]) == float(before[learner]["total"]) + gained
    ref_hidden = {cid: c for cid, c in criteria(out, "ref").items() if ".hidden_" in cid}
    assert {c["status"] for c in ref_hidden.values()} == {"pass"}, ref_hidden
    changed = " ".join(done.stdout.split()).split("changes since", 1)[1]
    assert "ref: M2" in changed and "m4: not in this roster" in changed
    assert "broken:" not in changed and "dead:" not in changed  # their hidden checks failed
    feedback = (out / "feedback" / "ref.json").read_text(encoding="utf-8")
    assert "CUST003" not in feedback  # what the hidden checks sent stays hidden


def test_check_formats_validate_against_a_live_service(classroom, tmp_path):
    args = [sys.executable, "-m", "lab", "check", "-m", "M2", "--no-tests",
            f"--api-url={classroom.dead_url}", "--no-service", "crm", "--no-service", "mlflow",
            "--json", str(tmp_path / "c.json"), "--badges", str(tmp_path / "b"),
            "--html", str(tmp_path / "c.html")]  # fmt: skip
    env = {**classroom.env, "LAB_HOME": str(tmp_path / "home")}
    junit = subprocess.run([*args, "--format", "junit"], env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)  # fmt: skip
    assert junit.returncode == 1, junit.stderr
    xmlschema.XMLSchema(SCHEMA).validate(junit.stdout)
    assert "<failure" in junit.stdout and (tmp_path / "c.json").is_file()
    summary = subprocess.run([*args, "--format", "github-summary"], env=env, cwd=tmp_path,
                             capture_output=True, text=True, timeout=120)  # fmt: skip
    modules, per_criterion = _tables(summary.stdout)
    assert modules[1][0].startswith("M2 ") and len(per_criterion) > 2
    assert "instructor's checks grade 10 more points" in summary.stdout


def test_workspace_ci_workflow_is_written_by_exercise_start(classroom):
    flow = classroom.root / "ws-m4" / ".github" / "workflows" / "lab-check.yml"
    assert "lab check --format github-summary" in flow.read_text(encoding="utf-8")
