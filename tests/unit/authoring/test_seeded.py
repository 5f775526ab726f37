"""lab/authoring/seeded.py: hidden inputs seeded per learner, stable, and valid for their checks."""

from __future__ import annotations

from pathlib import Path

from lab.acceptance import load_rubric
from lab.acceptance.extra import with_extra
from lab.authoring import seeded
from lab.exercises import course
from lab.settings import default_config_dir

HIDDEN = course.load().instructor_dir / "rubric.yml"


def test_two_learners_get_other_inputs_and_one_learner_the_same_each_time(tmp_path: Path) -> None:
    text = HIDDEN.read_text(encoding="utf-8")
    assert seeded.TOKEN.search(text)  # the default course seeds its hidden checks
    ana, ben = seeded.render_text(text, "ana"), seeded.render_text(text, "ben")
    assert ana != ben and ana == seeded.render_text(text, "ana")
    assert "$seed." not in ana
    for learner in ("ana", "ben", "c" * 40):
        path = seeded.render(HIDDEN, learner, tmp_path / f"{learner[:5]}.yml")
        public = load_rubric(default_config_dir() / "rubric.yml")
        rubric, _ = with_extra(public, path)  # valid for the checks they feed
        counter = next(c for m in rubric.modules for c in m.criteria if c.kind == "counter_moves"
                       and c.id.endswith("hidden_counter_many_calls"))  # fmt: skip
        assert 3 <= counter.params().calls <= 12


def test_a_file_without_seeds_is_used_as_it_is(tmp_path: Path) -> None:
    plain = tmp_path / "plain.yml"
    plain.write_text("version: 1\n", encoding="utf-8")
    assert seeded.render(plain, "ana", tmp_path / "out.yml") == plain
