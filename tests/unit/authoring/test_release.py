"""lab/authoring/release.py and catchup.py: a release holds no solution and nothing hidden,
checked line by line against the course; a learner starts from it; a catch-up pack applies."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from lab import workspace
from lab.authoring import catchup, release
from lab.cli import main
from lab.exercises import course, mutants, source, steps
from lab.settings import default_config_dir

COURSE = course.load()


@pytest.fixture(scope="module")
def rel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("release") / "rel"
    done = CliRunner().invoke(main, ["course", "release", str(COURSE.root), "--out", str(out)])
    assert done.exit_code == 0, done.output
    return out


def _released_lines(rel: Path) -> list[tuple[str, int, str]]:
    found = []
    for path in sorted(rel.rglob("*")):
        if path.is_file() and ".git" not in path.relative_to(rel).parts:
            text = path.read_bytes().decode("utf-8", errors="replace")
            name = path.relative_to(rel).as_posix()
            found += [(name, i, line.strip()) for i, line in enumerate(text.splitlines(), 1)]
    return found


def test_no_released_line_is_a_solution_line_or_the_instructors(rel: Path) -> None:
    # the oracle, from the course itself: lines of solution regions found nowhere else in it
    files = source.project_files(COURSE.project_dir)
    inside, outside = set(), set()
    for name, text in files.items():
        regions = source.regions(name, text)
        taken = {i for r in regions for i in range(r.begin, r.end + 1)}
        inside |= {line.strip() for r in regions for line in r.code}
        outside |= {line.strip() for i, line in enumerate(text.splitlines()) if i not in taken}
    # what the author publishes besides the project (a worked example may show a line too)
    public = [p for d in ("tasks", "teaching") for p in (COURSE.root / d).rglob("*")]
    for path in [*public, COURSE.root / "course.yml"]:
        if path.is_file():
            outside |= {line.strip() for line in path.read_text(encoding="utf-8").splitlines()}
    secret = {line for line in inside - outside if line}
    assert len(secret) > 50  # the course has solutions to hide
    hidden = mutants.hidden(COURSE)
    assert hidden  # the default course has a hidden mutant
    lines = _released_lines(rel)
    assert len(lines) > 500
    for name, number, line in lines:
        where = f"{name}:{number}: {line}"
        assert "BEGIN SOLUTION" not in line and "END SOLUTION" not in line, where
        assert line not in secret, where
        for m in hidden:
            assert m.name not in line and m.find not in line and m.replace not in line, where
    assert not (rel / "instructor").exists()
    assert release.leaks(COURSE, rel) == []


def test_leaks_finds_a_planted_solution_line_and_hidden_mutant(rel: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(rel), str(copy)], check=True)
    (_, region) = next((n, r) for n, t in source.project_files(COURSE.project_dir).items()
                       for r in source.regions(n, t) if r.criterion == "M4.crm_record")  # fmt: skip
    line = next(c for c in region.code if "await" in c)
    (copy / "project" / "app" / "extra.py").write_text(line + "\n", encoding="utf-8")
    (copy / "notes.md").write_text(mutants.hidden(COURSE)[0].name + "\n", encoding="utf-8")
    said = release.leaks(COURSE, copy)
    assert any(s.startswith("project/app/extra.py:1: a solution line") for s in said), said
    assert any(s.startswith("notes.md:1: the instructor's") for s in said), said


def test_a_release_is_a_course_and_a_git_repository(rel: Path) -> None:
    released = course.load(rel)
    assert released.ids == COURSE.ids and not source.holds_solutions(released.project_dir)
    assert released.rubric_file(default_config_dir()) == rel / "rubric.yml"
    assert (rel / "hints.yml").is_file() and (rel / "tasks" / "M1.zh-TW.md").is_file()
    log = subprocess.run(["git", "-C", str(rel), "log", "--format=%s"], capture_output=True,
                         text=True, check=True).stdout  # fmt: skip
    assert log.startswith("Release of ")
    # the starters it renders are the course's own
    starter = source.project_files(released.project_dir)
    for name, text in source.project_files(COURSE.project_dir).items():
        assert source.render(name, starter[name], []) == source.render(name, text, []), name


def test_a_learner_starts_from_the_release_and_catches_up_on_m1(
    rel: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    done = runner.invoke(main, ["course", "start", "--from", str(rel), "--dir", "ws"])
    assert done.exit_code == 0, done.output
    ws = workspace.load(tmp_path / "ws")
    assert ws.modules == ("M1",) and ws.course_dir == (tmp_path / "ws" / ".course").resolve()
    assert course.load(ws.course_dir).ids == COURSE.ids
    pyproject = (ws.root / "pyproject.toml").read_text(encoding="utf-8")
    assert "TODO M1." in pyproject  # M1's starter

    pack = tmp_path / "pack"
    done = runner.invoke(main, ["course", "release", str(COURSE.root), "--solutions", "M1",
                                "--out", str(pack)])  # fmt: skip
    assert done.exit_code == 0, done.output
    done = runner.invoke(main, ["course", "catch-up", str(pack), "--project-dir", str(ws.root)])
    assert done.exit_code == 0, done.output
    assert "solution of M1 applied" in done.output
    # M1's part is solved in place; a later module's stays what the course project holds now
    text = source.project_files(COURSE.project_dir)["pyproject.toml"]
    solved = steps.render_file(COURSE, "pyproject.toml", text, 0).replace(
        next(r.todo() for r in source.regions("pyproject.toml", text) if r.module == "M1"),
        "\n".join(next(r.code for r in source.regions("pyproject.toml", text) if r.module == "M1")),
    )
    assert (ws.root / "pyproject.toml").read_text(encoding="utf-8") == solved
    assert catchup.applied_modules(ws.root) == ["M1"]
    status = subprocess.run(["git", "-C", str(ws.root), "status", "--porcelain"],
                            capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert "pyproject.toml" not in status  # committed


def test_a_catch_up_never_overwrites_what_the_learner_wrote(tmp_path: Path) -> None:
    pack = catchup.build_pack(COURSE, ["M2"], tmp_path / "pack")
    project = tmp_path / "p"
    for name, text in source.project_files(COURSE.project_dir).items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(source.render(name, text, []), encoding="utf-8")
    main_py = project / "app" / "main.py"
    mine = main_py.read_text(encoding="utf-8").replace('NotImplementedError("M2.', 'Exception("M2.')
    main_py.write_text(mine, encoding="utf-8")
    (applied,) = catchup.apply_pack(pack, project, commit=False)
    assert main_py.read_text(encoding="utf-8") == mine
    assert applied.kept and all("your lines are there" in k for k in applied.kept if "main" in k)


def test_a_release_is_fetched_from_a_git_url_or_refused_with_why(rel: Path, tmp_path: Path) -> None:
    cloned = release.fetch(f"file://{rel}", tmp_path / "clone")
    assert course.load(cloned).ids == COURSE.ids and (cloned / ".git").is_dir()
    with pytest.raises(release.ReleaseError, match="no such folder, and not a git URL"):
        release.fetch(str(tmp_path / "nothing"), tmp_path / "x")
    with pytest.raises(release.ReleaseError, match="git clone"):
        release.fetch(f"file://{tmp_path / 'nothing'}", tmp_path / "y")
