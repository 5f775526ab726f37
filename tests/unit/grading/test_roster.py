"""The roster CSV: a workspace or service URLs per learner; mistakes name their line."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.grading.roster import RosterError, read_roster

REPO = Path(__file__).resolve().parents[3]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_example_reads():
    learners = read_roster(REPO / "config" / "roster.example.csv")
    by_id = {learner.id: learner for learner in learners}
    assert by_id["ana"].workspace == "file:///srv/classroom/ana-mlops-lab.git"
    assert by_id["ana"].runs_own_lab and not by_id["ana"].urls
    assert by_id["chloe"].workspace is None
    assert set(by_id["chloe"].urls) == {"api", "crm", "mlflow", "prometheus"}  # grafana empty
    assert by_id["dev"].urls and not by_id["dev"].runs_own_lab  # both: URLs + its files
    assert Path(by_id["ben"].workspace).is_absolute()


def test_paths_are_relative_to_the_roster_and_other_columns_are_ignored(tmp_path):
    (tmp_path / "ws").mkdir()
    roster = write(
        tmp_path,
        "email,id,workspace,python\r\na@x.org,ana,ws,venv/bin/python\r\n,,,\r\nb@x.org,ben,ws,\r\n",
    )
    ana, ben = read_roster(roster)
    assert ana.workspace == str((tmp_path / "ws").resolve())
    assert ana.python == str(tmp_path.absolute() / "venv" / "bin" / "python")
    assert ben.python is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name\nana\n", "line 1: the header needs an `id` column"),
        ("id,email\nana,a@x\n", "line 1: the header needs `workspace` or a URL column"),
        ("id,api_url\n../x,http://127.0.0.1:1\n", "line 2: id '../x' must be"),
        ("id,api_url\nana,ftp://h/\n", "line 2: api_url 'ftp://h/' is not an http"),
        ("id,api_url\nana,http://h:1\nana,http://h:2\n", "line 3: learner id 'ana' used twice"),
        ("id,workspace,api_url\nana,,\n", "line 2: learner ana has neither"),
        ("id,workspace\nana,https://github.com/a/b\n", "only local folders and file://"),
        ("id,workspace\n", "no learner rows"),
    ],
)
def test_a_bad_roster_names_the_line(tmp_path, text, message):
    with pytest.raises(RosterError, match=message.replace("(", r"\(").replace("?", r"\?")):
        read_roster(write(tmp_path, text))


def test_a_missing_workspace_folder_is_that_learners_problem_not_the_rosters(tmp_path):
    (learner,) = read_roster(write(tmp_path, "id,workspace\nana,nowhere\n"))
    assert learner.workspace == str((tmp_path / "nowhere").resolve())
