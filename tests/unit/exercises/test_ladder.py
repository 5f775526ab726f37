"""lab/exercises/ladder.py and `lab hint`: three levels that teach, in both languages."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from lab.acceptance import load_rubric
from lab.acceptance.checks import CheckContext, Targets
from lab.acceptance.checks._http import refused
from lab.cli import main
from lab.exercises import build, course, ladder, progress, source, teaching
from lab.settings import load_settings

REPO = Path(__file__).resolve().parents[3]
RUBRIC = load_rubric(REPO / "config" / "rubric.yml")
CRITERIA = [c for m in RUBRIC.modules for c in m.criteria]
LANGS = ("en", "zh-TW")
#: the lab's reference commands, which in a workspace run the lab's code instead of the learner's
REFERENCE = re.compile(r"\blab (serve|train)\b")
CODE = re.compile(r"`([^`]+)`")


@pytest.fixture(scope="module")
def workspaces(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("ws")
    return {
        m.id: build.create(root / m.id, m.id, settings={"API_PORT": 24900 + i}, git=False).root
        for i, m in enumerate(RUBRIC.modules)
    }


def test_every_criterion_has_teaching_and_a_part_or_steps() -> None:
    ids = {r.criterion for r in source.all_regions()}
    for c in CRITERIA:
        taught = teaching.criterion(c.id)
        assert taught is not None, f"{c.id}: no entry in its module's .hints.yml"
        assert set(taught.regions) <= ids, f"{c.id}: names a region that does not exist"
        steps = ladder.ladder(c.id, c.hint)
        assert steps.regions or taught.solution, f"{c.id}: nothing implements it"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("c", CRITERIA, ids=lambda c: c.id)
def test_level_2_teaches_a_concept_and_an_api_level_1_does_not(c, lang) -> None:
    steps = ladder.ladder(c.id, c.what_to_do(lang))
    first, second = steps.text(1, lang), steps.text(2, lang)
    assert not re.fullmatch(r"[\w./-]+:\d+", second.strip())  # not the file:line alone
    new = set(CODE.findall(second)) - set(CODE.findall(first))
    assert new, f"{c.id} level 2 names no API (`...`) that level 1 did not"
    assert ("概念：" if lang == "zh-TW" else "Concept: ") in second
    third = steps.text(3, lang)
    assert "No TODO names" not in third and third.strip() and third != second


def test_level_3_prints_the_solution_byte_for_byte_with_no_markup(tmp_path, monkeypatch) -> None:
    region = next(r for r in source.all_regions() if r.criterion == "M2.reject")
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(main, ["hint", "M2.reject", "--level", "3"])
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    for line in textwrap.dedent("\n".join(region.code)).splitlines():
        assert line in lines, f"not printed verbatim: {line!r}"
    assert any("[" in line and "]" in line for line in region.code)  # markup-like text survives


def test_hint_lines_stay_out_of_the_code_and_the_starter() -> None:
    text = (
        "x = 1\n    # BEGIN SOLUTION M2.reject: check it\n    # HINT: use `ValidationException`\n"
        "    # HINT zh-TW: 用 `ValidationException`\n    return [float(v) for v in row]\n"
        "    # END SOLUTION\n"
    )
    (region,) = source.regions("app/main.py", text)
    assert region.code == ("    return [float(v) for v in row]",)
    assert region.hint_lines("zh-TW") == ["用 `ValidationException`"]
    assert region.hint_lines("fr") == ["use `ValidationException`"]
    assert "HINT" not in source.render("app/main.py", text, ["M2"])
    assert "HINT" not in source.render("app/main.py", text, [])


@pytest.mark.parametrize("module", ["M1", "M2", "M3", "M4", "M5", "M6"])
def test_no_hint_in_a_workspace_names_the_reference_commands(workspaces, module) -> None:
    root, files = workspaces[module], source.project_files()
    for c in CRITERIA:
        for lang in LANGS:
            what = c.what_to_do(lang, in_workspace=True)
            assert not REFERENCE.search(what), f"{c.id} ({lang}) what to do: {what}"
            steps = ladder.ladder(c.id, what, files=files)
            for level in range(1, ladder.LEVELS + 1):
                said = steps.text(level, lang, root)
                assert not REFERENCE.search(said), f"{module} {c.id} level {level} {lang}: {said}"


def test_the_no_hint_test_can_fail() -> None:
    c = next(c for c in CRITERIA if c.id == "M3.model_file")
    assert REFERENCE.search(c.what_to_do("en", in_workspace=False))  # the reference's own hint


def test_nothing_listening_names_the_learners_command_in_a_workspace(workspaces) -> None:
    from lab import workspace

    ws = workspace.load(workspaces["M2"])
    settings = load_settings(env_file=ws.env_file)
    ctx = CheckContext(settings, Targets.from_settings(settings), ws.root, ws.env_file)
    assert "lab serve" in (refused(ctx, settings.api_url + "/health").hint or "")
    ctx.workspace = ws
    failed = refused(ctx, settings.api_url + "/health")
    assert "lab serve" not in (failed.hint or "") + (failed.hint_zh_tw or "")
    assert "lab start api" in (failed.hint or "")


def test_the_todo_lines_come_with_the_concept_in_a_workspace(workspaces) -> None:
    c = next(c for c in CRITERIA if c.id == "M3.label")
    said = ladder.ladder(c.id, c.hint).text(2, "en", workspaces["M3"])
    assert "training/train.py:" in said  # its TODOs are M3.mlflow_run's and M3.registry's


def _in(root: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    monkeypatch.chdir(root)
    done = CliRunner().invoke(main, list(args))
    assert done.exit_code == 0, done.output
    return done.output


def test_lab_hint_climbs_then_reads_an_earlier_level_again(tmp_path, monkeypatch) -> None:
    root = build.create(tmp_path / "ws", "M4", settings={"API_PORT": 24980}, git=False).root
    assert "hint 1/3" in _in(root, monkeypatch, "hint", "M4.crm_record")
    assert "hint 2/3" in _in(root, monkeypatch, "hint", "M4.crm_record")
    again = _in(root, monkeypatch, "hint", "M4.crm_record", "--level", "1")
    assert "hint 1/3" in again and "Why: " in again
    assert progress.read(root)["M4.crm_record"]["hints_used"] == 2  # the highest level read
    zh = _in(root, monkeypatch, "hint", "M4.crm_record", "--lang", "zh-TW", "--level", "2")
    assert "概念：" in zh and "app/crm.py:" in zh


@pytest.mark.parametrize("verb", [["serve", "--port", "1"], ["train", "--n_samples", "1"]])
def test_serve_and_train_warn_in_a_workspace_and_name_the_learners_command(
    tmp_path, monkeypatch, verb
) -> None:
    from lab.cli._common import warn_in_workspace

    root = build.create(tmp_path / "ws", "M2", settings={"API_PORT": 24981}, git=False).root
    monkeypatch.chdir(root)
    said = warn_in_workspace(verb[0]) or ""
    assert f"`lab {verb[0]}` runs the lab's reference" in said
    assert ("lab up" in said) if verb[0] == "serve" else ("training.train" in said)
    monkeypatch.chdir(tmp_path)
    assert warn_in_workspace(verb[0]) is None


def test_progress_keeps_quizzes_beside_the_criteria(tmp_path) -> None:
    progress.record_statuses(tmp_path, [("M3.registry", "fail")])
    progress.record_quiz(tmp_path, "M3", [1, 2, 3], 2)
    progress.use_hint(tmp_path, "M3.registry", 3)
    doc = json.loads(progress.path_of(tmp_path).read_text(encoding="utf-8"))
    assert doc["quizzes"]["M3"]["answers"] == [1, 2, 3] and doc["quizzes"]["M3"]["correct"] == 2
    assert doc["criteria"]["M3.registry"]["hints_used"] == 1


def test_a_workspace_holds_the_module_pages(workspaces) -> None:
    pages = workspaces["M3"] / "teaching"
    assert (pages / "M3.md").is_file() and (pages / "M3.zh-TW.md").is_file()
    assert "Objectives" in (pages / "M3.md").read_text(encoding="utf-8")


def test_lab_quiz_records_the_answers_with_the_progress(tmp_path, monkeypatch) -> None:
    root = build.create(tmp_path / "ws", "M3", settings={"API_PORT": 24982}, git=False).root
    quiz = teaching.quiz("M3")
    right = ",".join(str(q.answer) for q in quiz.questions)
    said = _in(root, monkeypatch, "quiz", "M3", "--answers", right, "--lang", "zh-TW")
    assert quiz.questions[0].question.zh_tw in said and "答對" in said
    assert f"{len(quiz.questions)}/{len(quiz.questions)}" in said
    wrong = ",".join("1" if q.answer != 1 else "2" for q in quiz.questions)
    assert "wrong" in _in(root, monkeypatch, "quiz", "m3", "--answers", wrong)
    record = progress.quizzes(root)["M3"]
    assert record["correct"] == 0 and record["attempts"] == 2
    assert record["answers"] == [int(a) for a in wrong.split(",")]
    bad = CliRunner().invoke(main, ["quiz", "M3", "--answers", "1"])
    assert bad.exit_code == 2 and "each of the" in bad.output


@pytest.mark.parametrize("in_workspace", [True, False])
def test_lab_checks_what_to_do_names_the_learners_command_in_a_workspace(in_workspace) -> None:
    from lab.acceptance.checks import Outcome, Status
    from lab.acceptance.runner import _criterion_result

    c = next(c for c in CRITERIA if c.id == "M3.model_file")
    row = _criterion_result(RUBRIC, c, Outcome(Status.FAIL, "no manifest"), 0.1, in_workspace)
    said = row.hint + (row.hint_zh_tw or "")
    assert bool(REFERENCE.search(said)) is not in_workspace
    assert ("training.train" in said) is in_workspace


def test_the_teaching_folder_quotes_no_line_of_a_solution_region() -> None:
    # a release carries teaching/ to learners; the solution's lines stay in its regions
    solution = {
        line.strip() for r in source.all_regions() for line in r.code if len(line.strip()) > 12
    }
    folder = course.load().root / "teaching"
    for path in sorted(folder.iterdir()):
        quoted = {line.strip() for line in path.read_text(encoding="utf-8").splitlines()}
        assert not quoted & solution, f"{path.name} quotes the solution: {quoted & solution}"


def test_the_course_hint_policy_refuses_the_solution_before_it_opens(tmp_path, monkeypatch) -> None:
    from lab.authoring.new import new_course

    mine = tmp_path / "mine"
    new_course(mine, REPO / "config" / "rubric.yml")
    (mine / "instructor" / "hints.yml").write_text(
        "max_level: 3\nsolution_opens:\n  due: 2099-01-01T00:00:00+00:00\n", encoding="utf-8"
    )
    monkeypatch.setenv("LAB_COURSE", str(mine))
    monkeypatch.chdir(tmp_path)
    refused = CliRunner().invoke(main, ["hint", "M2.reject", "--level", "3"])
    assert refused.exit_code == 1 and "opens after the due time" in refused.output
    assert "2099-01-01" in refused.output
    assert CliRunner().invoke(main, ["hint", "M2.reject", "--level", "2"]).exit_code == 0


def test_a_release_without_solutions_still_names_the_todos_and_says_why_no_code(tmp_path) -> None:
    (tmp_path / "app").mkdir()
    todo = 'raise NotImplementedError("M4.crm_down: send it, see tasks/M4.md")\n'
    (tmp_path / "app" / "crm.py").write_text(todo, encoding="utf-8")
    released = ladder.ladder("M4.bad_ids", "Validate the id.", files={})
    assert not released.regions and "M4.crm_down" in released.parts
    assert "app/crm.py:1" in released.text(2, "en", tmp_path)
    assert "does not ship the solution" in ladder.Ladder("M4.x", "w", None, ()).text(3)


def test_level_3_keeps_what_rich_would_eat_as_markup(tmp_path, monkeypatch) -> None:
    from lab.authoring.new import new_course

    mine = new_course(tmp_path / "mine", REPO / "config" / "rubric.yml")
    main_py = mine.project_dir / "app" / "main.py"
    text = main_py.read_text(encoding="utf-8")
    end = text.index("# END SOLUTION", text.index("# BEGIN SOLUTION M2.reject: convert"))
    line = "    return [[float(v) for v in row] for row in rows]  # [bold]not markup[/]\n"
    main_py.write_text(text[:end] + line.strip() + "\n    " + text[end:], encoding="utf-8")
    monkeypatch.setenv("LAB_COURSE", str(mine.root))
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(main, ["hint", "M2.reject", "--level", "3"])
    assert done.exit_code == 0, done.output
    assert line.strip() in done.output.splitlines()
