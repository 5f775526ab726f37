"""Drift gauges: PSI of each feature of each serving model's recent inputs vs its training data.

- `feature_drift_psi{model_version, feature}` — population stability index (`lab.drift.psi`)
  of the model's drift window against the reference `lab train` stored with the model.
- `drifted_features_share{model_version}` — share of features whose PSI is above
  `lab.drift.DRIFTED_PSI` (0.25).
- `drift_window_rows{model_version}` — rows in the window the two above are computed from.

The gauges are computed off the request path: every `UPDATE_SECONDS` by a background task in
each worker, and when `/metrics` is rendered, and only for windows that changed. A window with
fewer than DRIFT_MIN_ROWS rows exports its row count only (PSI on a handful of rows is noise).
In multiprocess mode (`--workers N`) each worker measures the traffic it served and the gauges
use `livemostrecent`: the latest value any live worker computed. A version that stops serving
loses its series (NaN in multiprocess mode, where prometheus_client cannot remove series), so
no alert keeps firing for an aborted challenger.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Final

from prometheus_client import CollectorRegistry, Gauge

from lab import drift
from lab.data import FEATURE_NAMES
from lab.serving.background import background
from lab.serving.metrics import multiprocess_dir

if TYPE_CHECKING:
    from lab.serving.loading import LoadedModel

log = logging.getLogger("lab.serving.drift")
UPDATE_SECONDS = 5.0  # the lab's Prometheus scrape interval
MODE: Final = "livemostrecent"


class DriftMetrics:
    def __init__(self, registry: CollectorRegistry, min_rows: int):
        self.min_rows = min_rows
        self.psi = Gauge(
            "feature_drift_psi",
            "Population stability index of the feature in the model version's recent inputs "
            "against its training data (0 same distribution, > 0.25 drifted).",
            ["model_version", "feature"],
            multiprocess_mode=MODE,
            registry=registry,
        )
        self.drifted = Gauge(
            "drifted_features_share",
            f"Share of features whose PSI is above {drift.DRIFTED_PSI} for the model version.",
            ["model_version"],
            multiprocess_mode=MODE,
            registry=registry,
        )
        self.window_rows = Gauge(
            "drift_window_rows",
            "Recent input rows of the model version that its drift gauges are computed from.",
            ["model_version"],
            multiprocess_mode=MODE,
            registry=registry,
        )
        self._models: dict[str, LoadedModel] = {}
        self._computed: dict[str, tuple[int, int]] = {}  # label -> (id(window), window.seen)

    def serving(self, models: Iterable[LoadedModel | None]) -> None:
        """The models that serve now; the series of versions no longer serving are dropped."""
        now = {m.label: m for m in models if m is not None and m.window is not None}
        for label in set(self._models) - set(now):
            self._drop(label)
        self._models = now

    def update(self) -> None:
        """Recompute the gauges of every window that got new rows since the last time."""
        for label, model in list(self._models.items()):
            window, reference = model.window, model.drift_reference
            if window is None or reference is None:
                continue
            mark = (id(window), window.seen)
            if self._computed.get(label) == mark:
                continue
            self._computed[label] = mark
            X = window.rows()
            self.window_rows.labels(label).set(len(X))
            if len(X) < self.min_rows:
                continue
            psis = drift.psi_all(reference, X, FEATURE_NAMES)
            for feature, value in psis.items():
                self.psi.labels(label, feature).set(value)
            self.drifted.labels(label).set(drift.drifted_share(psis))

    def _drop(self, label: str) -> None:
        self._computed.pop(label, None)
        series: list[tuple[Gauge, tuple[str, ...]]] = [
            (self.window_rows, (label,)),
            (self.drifted, (label,)),
        ]
        series += [(self.psi, (label, f)) for f in FEATURE_NAMES]
        for gauge, labels in series:
            if multiprocess_dir() is not None:
                gauge.labels(*labels).set(math.nan)
            else:
                gauge.remove(*labels)  # a no-op for a series that was never set

    async def update_forever(self) -> None:
        while True:
            await asyncio.sleep(UPDATE_SECONDS)
            try:
                self.update()
            except Exception:
                log.exception("drift update failed unexpectedly; it goes on")

    def lifespan(self, _app: object) -> contextlib.AbstractAsyncContextManager[None]:
        """Litestar lifespan: update the gauges in the background until shutdown."""
        return background(self.update_forever(), "drift-update")
