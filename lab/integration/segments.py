"""Segment rules: thresholds on the churn probability and the segment names they map to.

Kept in config (`config/segments.yml`, or SEGMENT_RULES_FILE) so an instructor can change the
tiers without touching code. A bad file is refused with one message naming the file and what
is wrong in it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from lab.crm.ids import SEGMENT_PATTERN


class SegmentRulesError(ValueError):
    """The segment rules file is missing or invalid; the message says where and why."""


class SegmentRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=SEGMENT_PATTERN)
    min_probability: float = Field(ge=0.0, le=1.0, allow_inf_nan=False)
    description: str = ""


class _RulesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    segments: list[SegmentRule] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> _RulesFile:
        names = [r.name for r in self.segments]
        if len(set(names)) != len(names):
            raise ValueError(f"segment names must be unique, got {names}")
        thresholds = [r.min_probability for r in self.segments]
        if any(a <= b for a, b in pairwise(thresholds)):
            raise ValueError(
                f"min_probability must go strictly down from the first rule to the last, "
                f"got {thresholds}"
            )
        if thresholds[-1] != 0.0:
            raise ValueError(
                f"the last rule must have min_probability 0 so every probability gets a "
                f"segment, got {thresholds[-1]}"
            )
        return self


@dataclass(frozen=True)
class SegmentRules:
    """Ordered rules; `segment_for(p)` is the first rule whose threshold `p` reaches."""

    rules: tuple[SegmentRule, ...]
    source: Path | None = None

    def segment_for(self, probability: float) -> str:
        if not (0.0 <= probability <= 1.0) or math.isnan(probability):
            raise ValueError(f"a churn probability must be within [0, 1], got {probability!r}")
        for rule in self.rules:
            if probability >= rule.min_probability:
                return rule.name
        raise AssertionError("the last rule has threshold 0")  # pragma: no cover

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.rules)


def parse_rules(data: object, source: Path | None = None) -> SegmentRules:
    where = str(source) if source else "segment rules"
    try:
        parsed = _RulesFile.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}" for e in exc.errors()
        )
        raise SegmentRulesError(
            f"{where} is invalid: {problems}. Expected `segments:` — a list of "
            "{name, min_probability, description} with thresholds going down to 0"
        ) from None
    return SegmentRules(tuple(parsed.segments), source)


def load_rules(path: Path) -> SegmentRules:
    """Read and check the rules file at `path`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SegmentRulesError(
            f"segment rules file {path} does not exist: restore config/segments.yml "
            "or point SEGMENT_RULES_FILE at a rules file"
        ) from None
    except OSError as exc:
        raise SegmentRulesError(f"cannot read segment rules file {path}: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SegmentRulesError(f"{path} is not valid YAML: {exc}") from None
    return parse_rules(data, path)
