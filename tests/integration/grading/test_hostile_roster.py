"""`lab grade` on a roster of hostile workspaces, with real bubblewrap and real processes.

One roster run is shared by the assertions. Every row is the same small project (its own
training script and one test), graded with its services at a dead URL, so only its files and
its code are graded (no lab starts: the workspace-lab path is tests/integration/grading/
test_grade_roster.py's). The rows:

- honest: the project as it is; shadow: the same plus a `lab/` package that rewrites check.json
  (it must change nothing: the twins get the same row);
- hostile: its training command prints the environment, reads other processes' command lines
  and environments through /proc, tries the hidden rubric, the roster and the outputs, writes
  outside its tree, leaves a `nohup sleep` behind and prints 300 MB; its test command is
  `echo 3 passed` and it has no test;
- symlink: .github/workflows/ci.yml -> an instructor's file; sparse: a 1 TiB sparse file.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from tests.integration.grading.helpers import criteria, rows, write_project
from tests.support import REPO, free_port, lab_env, require_tool

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

SECRET = "instructor-shell-secret-5150"  # exported in the grader's shell
MARKER = "HIDDEN-RUBRIC-MARKER-7d41"  # a line of the hidden rubric only
HOSTILE = """\
import os, pathlib, subprocess, sys
stolen = ["ENV=" + repr(dict(os.environ))]
for proc in pathlib.Path("/proc").glob("[0-9]*"):
    for name in ("cmdline", "environ"):
        try:
            raw = (proc / name).read_bytes().replace(b"\\0", b" ")
            stolen.append(raw.decode("utf-8", "replace"))
        except OSError:
            pass
for target in {targets!r}:
    try:
        stolen.append(pathlib.Path(target).read_text())
    except OSError as exc:
        stolen.append(f"no {{target}}: {{exc.strerror}}")
try:
    pathlib.Path({outside!r}).write_text("pwned")
except OSError:
    pass
subprocess.Popen(["nohup", "sleep", "777"], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
for _ in range(300):
    sys.stdout.write("x" * (1 << 20))
print()
print("STOLEN " + " | ".join(stolen).replace("\\n", " "))
sys.exit(1)
"""


@dataclass
class Run:
    out: Path
    root: Path
    done: subprocess.CompletedProcess[str]
    peak_rss: int  # the grader's processes (lab grade and its lab check children), at most
    sleeps_before: set[int]  # `sleep 777` processes before the run (a leftover of another)
    files_text: str  # every file the grading wrote, as text


def _grader_rss(pid: int) -> int:
    """RSS of `lab grade` and its `lab check` children (never the sandboxed learner code)."""
    total = 0
    try:
        root = psutil.Process(pid)
        for proc in [root, *root.children()]:
            if "bwrap" not in proc.name():
                total += proc.memory_info().rss
    except psutil.Error:
        pass
    return total


def sleeps() -> set[int]:
    procs = psutil.process_iter(["cmdline"])
    return {p.pid for p in procs if p.info["cmdline"] == ["sleep", "777"]}


def grade(root: Path, roster: Path, out: Path, *args: str, env: dict | None = None) -> Run:
    before = sleeps()
    env = env or lab_env(root / "grader-home", COLUMNS=200, INSTRUCTOR_TOKEN=SECRET)
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "lab", "grade", str(roster), "--out", str(out), "--jobs", "2",
         "--budget", "400", *args],
        env=env, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    peak = [0]

    def watch() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _grader_rss(proc.pid))
            time.sleep(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        stdout, stderr = proc.communicate(timeout=800)
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.communicate(timeout=60)
    watcher.join(5)
    print(f"lab grade {' '.join(args)}: {time.monotonic() - started:.1f} s")
    done = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    texts = [p.read_text("utf-8", "replace") for p in out.rglob("*") if p.is_file()] if \
        out.is_dir() else []  # fmt: skip
    return Run(out, root, done, peak[0], before, "\n".join(texts))


@pytest.fixture(scope="module")
def classroom(tmp_path_factory) -> Iterator[tuple[Path, Path]]:
    require_tool("bwrap", "apt install bubblewrap")
    root = tmp_path_factory.mktemp("hostile")
    instructor = root / "instructor"
    instructor.mkdir()
    hidden = instructor / "hidden.yml"
    text = (REPO / "config" / "rubric.extra.example.yml").read_text(encoding="utf-8")
    hidden.write_text(f"# {MARKER}\n{text}", encoding="utf-8")
    (instructor / "answers.txt").write_text(f"the answers {MARKER}", encoding="utf-8")
    subs = root / "submissions"
    write_project(subs / "honest")
    shadow = write_project(subs / "shadow")
    (shadow / "lab").mkdir()
    (shadow / "lab" / "__init__.py").write_text("", encoding="utf-8")
    (shadow / "lab" / "__main__.py").write_text(
        "import json, pathlib, sys\n"
        "for p in pathlib.Path('.').rglob('check.json'):\n"
        "    p.write_text(json.dumps({'points': 100}))\n"
        "pathlib.Path(sys.argv[0]).with_name('SHADOW-RAN').write_text('ran')\n"
        "sys.exit(0)\n",
        encoding="utf-8",
    )
    outside = root / "pwned.txt"
    targets = [str(hidden), str(root / "roster.csv"), str(instructor / "answers.txt")]
    write_project(
        subs / "hostile", HOSTILE.format(targets=targets, outside=str(outside)),
        test_command="echo 3 passed",
    )  # fmt: skip
    (subs / "hostile" / "tests" / "test_app.py").write_text("", encoding="utf-8")  # no test
    link = write_project(subs / "symlink") / ".github" / "workflows"
    link.mkdir(parents=True)
    (link / "ci.yml").symlink_to(instructor / "answers.txt")
    sparse = write_project(subs / "sparse") / "data.bin"
    with sparse.open("wb") as f:
        f.truncate(1 << 40)
    dead = f"http://127.0.0.1:{free_port()}"
    roster = root / "roster.csv"
    with roster.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "workspace", "api_url"])
        for learner in ("honest", "shadow", "hostile", "symlink", "sparse"):
            writer.writerow([learner, f"submissions/{learner}", dead])
    yield root, roster


@pytest.fixture(scope="module")
def graded(classroom) -> Run:
    root, roster = classroom
    run = grade(root, roster, root / "grades", "--extra-rubric", str(root / "instructor" /
                                                                      "hidden.yml"))  # fmt: skip
    assert run.done.returncode == 0, run.done.stdout[-3000:] + run.done.stderr[-3000:]
    assert "Traceback" not in run.done.stderr, run.done.stderr
    return run


def test_the_shadow_lab_package_changes_nothing_and_never_runs(graded):
    grades = rows(graded.out / "grades.csv")
    honest, shadow = grades["honest"], grades["shadow"]
    assert {k: v for k, v in honest.items() if k != "id"} == {
        k: v for k, v in shadow.items() if k != "id"
    }
    assert float(honest["total"]) < 100 and honest["status"] == "unreachable"  # a dead URL
    assert not list(graded.root.rglob("SHADOW-RAN"))
    honest_c, shadow_c = criteria(graded.out, "honest"), criteria(graded.out, "shadow")
    assert {c: v["status"] for c, v in honest_c.items()} == {
        c: v["status"] for c, v in shadow_c.items()
    }
    # the honest twin's own code ran, sandboxed, and passed: training, its one test
    assert honest_c["M1.train"]["status"] == "pass", honest_c["M1.train"]["observed"]
    assert honest_c["M6.tests"]["status"] == "pass", honest_c["M6.tests"]["observed"]
    assert "1 passed" in honest_c["M6.tests"]["observed"]


def test_the_hostile_commands_get_nothing_they_want(graded):
    seen = criteria(graded.out, "hostile")
    train = seen["M1.train"]
    assert train["status"] == "fail" and "STOLEN" in train["observed"]  # it ran, it reported
    assert len(train["observed"]) <= 300  # observed is bounded
    for leaked in (SECRET, MARKER, "--extra-rubric", str(graded.root / "roster.csv") + ":"):
        assert leaked not in graded.files_text, leaked
    assert "INSTRUCTOR_TOKEN" not in graded.files_text
    assert not (graded.root / "pwned.txt").exists()
    for path in graded.out.rglob("*"):
        mode = path.stat().st_mode & 0o777
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))


def test_echo_3_passed_is_no_test_suite(graded):
    tests = criteria(graded.out, "hostile")["M6.tests"]
    assert tests["status"] == "fail", tests
    assert "ran no test" in tests["observed"] or "no JUnit" in tests["observed"], tests


def test_nothing_a_learner_started_outlives_the_grading(graded):
    assert not sleeps() - graded.sleeps_before


def test_300_mb_of_output_stays_out_of_the_graders_memory(graded):
    # held whole, 300 MB of output cost the grader 1.24 GB; bounded, its children stay small
    print(f"peak RSS of lab grade and its lab check children: {graded.peak_rss / 2**20:.0f} MiB")
    assert graded.peak_rss < 700 * 2**20, graded.peak_rss
    log_sizes = [p.stat().st_size for p in graded.out.rglob("*.json")]
    assert max(log_sizes) < 2 * 2**20


def test_a_symlink_out_and_a_sparse_terabyte_are_that_learners_error_only(graded):
    grades = rows(graded.out / "grades.csv")
    assert grades["symlink"]["status"] == grades["sparse"]["status"] == "error"
    assert grades["symlink"]["total"] == grades["sparse"]["total"] == "0"
    fb = json.loads((graded.out / "feedback" / "symlink.json").read_text(encoding="utf-8"))
    assert "ci.yml is a symlink" in fb["problem"] and "outside the workspace" in fb["problem"]
    fb = json.loads((graded.out / "feedback" / "sparse.json").read_text(encoding="utf-8"))
    assert "larger than" in fb["problem"] and "data.bin" in fb["problem"]
    assert grades["honest"]["status"] == "unreachable"  # graded (its service is dead)


def test_the_class_report_and_lms_csv(graded):
    report = (graded.out / "report.html").read_text(encoding="utf-8")
    assert "M1.train" in report and "Who is stuck where" in report
    with (graded.out / "lms.csv").open(encoding="utf-8") as f:
        lms = list(csv.DictReader(f))
    assert list(lms[0]) == ["id", "M1", "M2", "M3", "M4", "M5", "M6", "total"]
    assert [r["id"] for r in lms] == ["honest", "shadow", "hostile", "symlink", "sparse"]


def test_without_bubblewrap_workspaces_are_refused_unless_trusted(classroom, tmp_path):
    root, _ = classroom
    roster = tmp_path / "roster.csv"
    roster.write_text(f"id,workspace\nsparse,{root / 'submissions' / 'sparse'}\n", "utf-8")
    env = lab_env(tmp_path / "home", COLUMNS=200)
    bin_dir = tmp_path / "bin"  # PATH without bwrap, with git
    bin_dir.mkdir()
    (bin_dir / "git").symlink_to(require_tool("git"))
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{bin_dir}"
    refused = subprocess.run(
        [sys.executable, "-m", "lab", "grade", str(roster), "--out", str(tmp_path / "g")],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert refused.returncode == 5, refused.stdout + refused.stderr
    assert "bubblewrap is not installed" in refused.stderr
    assert "--trust-workspaces" in refused.stderr
    assert not (tmp_path / "g").exists()
    trusted = grade(tmp_path, roster, tmp_path / "t", "--trust-workspaces", env=env)
    assert trusted.done.returncode == 0, trusted.done.stderr[-2000:]
    feedback = json.loads((tmp_path / "t" / "feedback" / "sparse.json").read_text("utf-8"))
    assert any("graded without a sandbox" in n for n in feedback["notes"])
    urls_only = tmp_path / "urls.csv"  # rows that give only URLs run no code: no sandbox needed
    urls_only.write_text(f"id,api_url\nana,http://127.0.0.1:{free_port()}\n", encoding="utf-8")
    graded = grade(tmp_path, urls_only, tmp_path / "u", "--no-tests", env=env)
    assert graded.done.returncode == 0, graded.done.stderr[-2000:]
    assert "graded without a sandbox" not in graded.files_text
