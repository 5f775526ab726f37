"""Shifted inputs for `lab load --drift`: customers unlike the ones the model was trained on.

Each shift moves one feature well outside its training distribution while keeping every value a
valid, plausible input (finite, non-negative counts, a satisfaction score from 1 to 5), so the API
answers 200 and only the drift metrics (`feature_drift_psi`, `drifted_features_share`) notice.
Together they tell one story: prices went up, the product got worse, customers log in less.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy and lab.data load when a shift runs, not with `lab --help`
    import numpy as np


@dataclass(frozen=True)
class Shift:
    what: str  # how the feature moves, for --help and the summary
    apply: Callable[[np.ndarray], np.ndarray]


SHIFTS: dict[str, Shift] = {
    "monthly_spend": Shift("+120 (prices went up)", lambda x: x + 120.0),
    "support_tickets": Shift("+8 (more problems)", lambda x: x + 8.0),
    "logins_per_month": Shift("a quarter of it (less use)", lambda x: x // 4.0),
    "days_since_last_login": Shift("+60 days (gone quiet)", lambda x: x + 60.0),
    "satisfaction_score": Shift("at most 2 of 5 (unhappy)", lambda x: x.clip(max=2.0)),
}


def check_features(names: Iterable[str]) -> tuple[str, ...]:
    """`names` in feature order, each one a feature `lab load --drift` can shift."""
    from lab.data import FEATURE_NAMES

    wanted = set(names)
    unknown = sorted(wanted - set(SHIFTS))
    if unknown:
        raise ValueError(
            f"cannot shift {', '.join(unknown)}: --drift-features takes "
            f"{', '.join(SHIFTS)} (comma-separated)"
        )
    if not wanted:
        raise ValueError(f"--drift-features needs at least one of {', '.join(SHIFTS)}")
    return tuple(name for name in FEATURE_NAMES if name in wanted)


def shift(X: np.ndarray, features: Iterable[str]) -> np.ndarray:
    """A copy of the rows `X` (columns in FEATURE_NAMES order) with `features` shifted."""
    import numpy as np

    from lab.data import FEATURE_NAMES

    out = np.array(X, dtype=np.float64, copy=True)
    for name in features:
        column = FEATURE_NAMES.index(name)
        out[:, column] = SHIFTS[name].apply(out[:, column])
    return out


def describe(features: Iterable[str]) -> str:
    return ", ".join(f"{name} {SHIFTS[name].what}" for name in features)
