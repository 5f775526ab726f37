"""Segment rules: the shipped file, the mapping, and clear errors for bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.integration.segments import SegmentRulesError, load_rules, parse_rules


def test_shipped_rules_load_with_the_documented_tiers(settings) -> None:
    rules = load_rules(settings.segment_rules_file)
    assert rules.names == ("high_risk", "medium_risk", "low_risk")
    assert [rules.segment_for(p) for p in (0.0, 0.39, 0.4, 0.69, 0.7, 1.0)] == [
        "low_risk", "low_risk", "medium_risk", "medium_risk", "high_risk", "high_risk"
    ]  # fmt: skip


@pytest.mark.parametrize("p", [-0.1, 1.1, float("nan")])
def test_probability_out_of_range_is_refused(settings, p: float) -> None:
    with pytest.raises(ValueError, match="within"):
        load_rules(settings.segment_rules_file).segment_for(p)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("segments: []", "at least 1"),
        ("segments:\n  - {name: a, min_probability: 0.5}", "last rule must have min_probability 0"),
        (
            "segments:\n  - {name: a, min_probability: 0.2}\n  - {name: b, min_probability: 0.5}\n"
            "  - {name: c, min_probability: 0}",
            "strictly down",
        ),
        (
            "segments:\n  - {name: a, min_probability: 0.5}\n  - {name: a, min_probability: 0}",
            "unique",
        ),
        ("segments:\n  - {name: High Risk, min_probability: 0}", "segments.0.name"),
        ("segments:\n  - {name: a, min_probability: 2}", "less than or equal to 1"),
        ("segments:\n  - {name: a, min: 0}", "min_probability"),
        ("tiers: {}", "segments"),
        ("segments: [", "not valid YAML"),
        ("", "file"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "segments.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SegmentRulesError) as err:
        load_rules(path)
    assert message in str(err.value) and str(path) in str(err.value)


def test_missing_file_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(SegmentRulesError, match="SEGMENT_RULES_FILE"):
        load_rules(tmp_path / "nope.yml")


def test_custom_rules() -> None:
    rules = parse_rules(
        {
            "segments": [
                {"name": "churner", "min_probability": 0.5},
                {"name": "stayer", "min_probability": 0},
            ]
        }
    )
    assert (rules.segment_for(0.5), rules.segment_for(0.49)) == ("churner", "stayer")
