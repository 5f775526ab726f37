"""lab/exercises/source.py: regions of the marked solution and the starter made from them."""

from __future__ import annotations

import ast
import json

import pytest
import yaml

from lab.acceptance import load_rubric
from lab.exercises import course, source
from lab.settings import default_config_dir

COURSE = course.load()
FILES = source.project_files(COURSE.project_dir)


def test_every_region_names_a_criterion_of_the_rubric() -> None:
    rubric = load_rubric(default_config_dir() / "rubric.yml")
    known = {c.id for m in rubric.modules for c in m.criteria}
    named = {r.criterion for r in source.all_regions(FILES)}
    assert named - known == set()
    assert {c.split(".")[0] for c in named} == set(COURSE.ids)


def test_a_python_region_becomes_one_raise_with_its_indentation() -> None:
    text = (
        "def f():\n    x = 1\n    # BEGIN SOLUTION M4.crm_record: write it\n"
        "    y = 2\n    # END SOLUTION\n"
    )
    starter = source.render("a.py", text, solved=[])
    assert starter.splitlines()[2] == (
        '    raise NotImplementedError("M4.crm_record: write it, see tasks/M4.md")'
    )
    assert "y = 2" not in starter
    assert source.render("a.py", text, solved=["M4"]).splitlines()[2] == "    y = 2"


def test_other_files_get_a_todo_comment() -> None:
    text = "steps:\n  # BEGIN SOLUTION M6.ci: run tox\n  - run: tox\n  # END SOLUTION\n"
    assert source.render("ci.yml", text, []) == "steps:\n  # TODO M6.ci: run tox, see tasks/M6.md\n"


@pytest.mark.parametrize(
    "text",
    [
        "# BEGIN SOLUTION M1.deps: x\n",
        "# END SOLUTION\n",
        "# BEGIN SOLUTION M1.deps: x\n# BEGIN SOLUTION M1.env: y\n# END SOLUTION\n",
        "# BEGIN SOLUTION M1.deps\n# END SOLUTION\n",
    ],
)
def test_unbalanced_or_malformed_markers_are_refused(text: str) -> None:
    with pytest.raises(source.MarkerError):
        source.regions("f.py", text)


@pytest.mark.parametrize("module", [None, *COURSE.ids])
def test_every_starter_and_the_solution_parse(module: str | None) -> None:
    solved = list(COURSE.ids) if module is None else COURSE.get(module).needs
    for path, text in FILES.items():
        out = source.render(path, text, solved)
        assert "SOLUTION" not in out, path
        if path.endswith(".py"):
            ast.parse(out, filename=path)
        elif path.endswith(".json"):
            json.loads(out)
        elif path.endswith((".yml", ".yaml")):
            yaml.safe_load(out)


def test_dot_files_are_stored_under_dot_names() -> None:
    assert ".github/workflows/ci.yml" in FILES
    assert ".gitignore" in FILES
