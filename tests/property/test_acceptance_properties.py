"""Properties of rubric validation and scoring (lab.acceptance)."""

from __future__ import annotations

import itertools

import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lab.acceptance import RubricError, Status, module_score, total_score
from lab.acceptance._yaml_lines import load_with_lines
from lab.acceptance.rubric import Rubric, validate_rubric

FILE = "config/my-rubric.yml"
STATUSES = st.sampled_from(list(Status))


def partition(total: int, parts: int, draw) -> list[int]:
    """`parts` positive integers adding up to `total`."""
    if parts == 1:
        return [total]
    cuts = sorted(draw(st.sets(st.integers(1, total - 1), min_size=parts - 1, max_size=parts - 1)))
    edges = [0, *cuts, total]
    return [b - a for a, b in itertools.pairwise(edges)]


@st.composite
def rubric_data(draw, total: int = 100) -> dict:
    """A rubric as parsed YAML: 1-6 modules, each 1-4 criteria, weights adding up to `total`."""
    n_modules = draw(st.integers(1, min(6, total)))
    module_points = partition(total, n_modules, draw)
    modules = []
    for i, points in enumerate(module_points, start=1):
        n_criteria = draw(st.integers(1, min(4, points)))
        weights = partition(points, n_criteria, draw)
        modules.append(
            {
                "id": f"M{i}",
                "title": f"module {i}",
                "title_zh_tw": f"模組 {i}",
                "points": points,
                "criteria": [
                    {
                        "id": f"M{i}.c{j}",
                        "title": f"criterion {j}",
                        "title_zh_tw": f"準則 {j}",
                        "weight": w,
                        "check": {"kind": "container_user"},
                        "hint": f"fix M{i}.c{j}",
                    }
                    for j, w in enumerate(weights, start=1)
                ],
            }
        )
    return {
        "version": 1,
        "title": "t",
        "title_zh_tw": "t",
        "badges": {"colors": [{"at_least": 0, "color": "#e05d44"}]},
        "modules": modules,
    }


def as_rubric(data: dict) -> Rubric:
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    parsed, lines = load_with_lines(text)
    return validate_rubric(parsed, lines, FILE)


def criterion_ids(rubric: Rubric) -> list[str]:
    return [c.id for m in rubric.modules for c in m.criteria]


@st.composite
def graded(draw) -> tuple[Rubric, dict[str, Status], str]:
    """A valid rubric, a status for each criterion, and one criterion picked out."""
    rubric = as_rubric(draw(rubric_data()))
    ids = criterion_ids(rubric)
    return rubric, {cid: draw(STATUSES) for cid in ids}, draw(st.sampled_from(ids))


@settings(max_examples=150)
@given(case=graded())
def test_scores_stay_between_0_and_100(case):
    rubric, given_statuses, _ = case
    score = total_score(rubric.modules, given_statuses)
    assert score.max_points == 100
    assert 0 <= score.points <= 100
    assert 0.0 <= score.percent <= 100.0
    for module in rubric.modules:
        ms = module_score(module, given_statuses)
        assert 0 <= ms.points <= ms.max_points == module.points
        assert 0.0 <= ms.percent <= 100.0


@settings(max_examples=150)
@given(case=graded())
def test_a_criterion_turning_from_fail_to_pass_never_lowers_the_score(case):
    rubric, before, flipped = case
    old = before[flipped]
    after = {**before, flipped: Status.PASS}
    weight = next(c.weight for m in rubric.modules for c in m.criteria if c.id == flipped)
    gain = total_score(rubric.modules, after).points - total_score(rubric.modules, before).points
    assert gain >= 0
    assert gain == (0 if old is Status.PASS else weight)


@given(case=graded())
def test_a_skip_earns_no_more_than_a_fail(case):
    rubric, base, one = case
    skipped = total_score(rubric.modules, {**base, one: Status.SKIP})
    failed = total_score(rubric.modules, {**base, one: Status.FAIL})
    assert skipped == failed


@given(total=st.integers(1, 300).filter(lambda n: n != 100), seed=st.data())
def test_module_points_not_adding_up_to_100_are_refused_naming_the_file_and_modules(total, seed):
    data = {**seed.draw(rubric_data(total=total)), "points": 100}
    try:
        as_rubric(data)
    except RubricError as exc:
        message = str(exc)
        assert message.startswith(FILE)
        assert f"add up to {total}" in message and "not 100" in message
        for module in data["modules"]:
            assert f"{module['id']} {module['points']}" in message
    else:
        raise AssertionError(f"a rubric worth {total} points was accepted")


@given(total=st.integers(1, 300), seed=st.data())
def test_without_a_stated_maximum_the_rubric_is_worth_its_modules_points(total, seed):
    rubric = as_rubric(seed.draw(rubric_data(total=total)))
    assert rubric.total_points == total and rubric.points is None


@given(data=rubric_data(), pick=st.data(), delta=st.integers(-50, 50).filter(bool))
def test_criteria_weights_not_matching_their_module_name_the_module_and_line(data, pick, delta):
    module = pick.draw(st.sampled_from(data["modules"]))
    criterion = pick.draw(st.sampled_from(module["criteria"]))
    assume(criterion["weight"] + delta > 0)
    criterion["weight"] += delta
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    try:
        validate_rubric(*load_with_lines(text), FILE)
    except RubricError as exc:
        assert str(exc).startswith(f"{FILE} line ")
        assert exc.module == module["id"] and f"module {module['id']}:" in str(exc)
        assert text.splitlines()[exc.line - 1].strip() == f"points: {module['points']}"
    else:
        raise AssertionError("mismatched weights were accepted")


@given(data=rubric_data(), pick=st.data(), bad=st.sampled_from([0, -3, "ten", 2.5, None]))
def test_a_bad_weight_is_reported_at_its_own_line(data, pick, bad):
    module = pick.draw(st.sampled_from(data["modules"]))
    criterion = pick.draw(st.sampled_from(module["criteria"]))
    criterion["weight"] = bad
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    try:
        validate_rubric(*load_with_lines(text), FILE)
    except RubricError as exc:
        assert exc.module == module["id"]
        assert text.splitlines()[exc.line - 1].strip().startswith("weight:")
        # the reported line belongs to the criterion with the bad weight
        above = text.splitlines()[: exc.line]
        owner = next(line for line in reversed(above) if line.strip().startswith("- id:"))
        assert owner.strip() == f"- id: {criterion['id']}"
    else:
        raise AssertionError(f"weight {bad!r} was accepted")


@given(data=rubric_data(), where=st.data())
def test_malformed_yaml_is_reported_with_its_line(data, where):
    lines = yaml.safe_dump(data, sort_keys=False, allow_unicode=True).splitlines()
    at = where.draw(st.integers(0, len(lines)))
    broken = [*lines[:at], "\tindented: with a tab", *lines[at:]]
    try:
        validate_rubric(*load_with_lines("\n".join(broken)), FILE)
    except RubricError as exc:
        raise AssertionError("validate_rubric must not see malformed YAML") from exc
    except ValueError as exc:  # YamlError: load_rubric turns it into a RubricError
        assert exc.line == at + 1
    else:
        raise AssertionError("YAML with a tab indent was accepted")
