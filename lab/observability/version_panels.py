"""The dashboard's last two rows: how the model versions share the traffic, and input drift.

Model versions:
- Share of traffic: each version's share of the /predict calls over the last minute (a 90/10
  champion/challenger split shows as 0.9 and 0.1).
- Predicted churn rate: the share of scored rows each version predicts to churn (what `lab
  rollout analyze` compares; drifted inputs move it too).

Input drift:
- PSI per feature: the population stability index of each input feature over the API's
  window of recent inputs against the training reference, for the versions the API serves now;
  the red line is the drift limit (lab.drift.DRIFTED_PSI, 0.25).
- Share of drifted features per version; the red line is the FeatureDrift alert's threshold.
"""

from __future__ import annotations

from typing import Any

from grafana_foundation_sdk.builders import common as cb
from grafana_foundation_sdk.models import common

from lab import metric_names as m
from lab.drift import DRIFTED_PSI
from lab.observability.panels import RATE, pos, query, series, threshold_line, thresholds

#: The versions the API serves now (champion and challenger).
SERVED = f"on (model_version) (max by (model_version) ({m.MODEL_LOADED}) == 1)"
TRAFFIC_SHARE = (
    f"sum by (model_version) (rate({m.PREDICTIONS}[1m]))"
    f" / ignoring (model_version) group_left () sum (rate({m.PREDICTIONS}[1m]))"
)
CHURN_RATE = (
    f"sum by (model_version) (rate({m.PREDICTED_CHURN}[{RATE}]))"
    f" / sum by (model_version) (rate({m.PREDICTED_ROWS}[{RATE}]))"
)
PSI = f"max by (model_version, feature) ({m.DRIFT_PSI}) and {SERVED}"
DRIFTED = f"max by (model_version) ({m.DRIFTED_SHARE}) and {SERVED}"


def versions_row(y: int) -> list[Any]:
    share = (
        series(
            "Model version share of traffic (1m)",
            "Each model version's share of the /predict calls over the last minute, stacked: "
            "a 10% challenger shows as a 0.1 band on top of the champion.",
            pos(8, 12, 0, y),
            "percentunit",
            query(TRAFFIC_SHARE, "{{model_version}}"),
        )
        .stacking(cb.StackingConfig().mode(common.StackingMode.NORMAL))
        .fill_opacity(60)
        .min(0)
        .max(1)
    )
    churn = series(
        "Predicted churn rate by model version",
        "Share of the rows each version scored as churn (prediction 1). `lab rollout analyze` "
        "compares it between champion and challenger; drifted inputs move it too.",
        pos(8, 12, 12, y),
        "percentunit",
        query(CHURN_RATE, "{{model_version}}"),
    ).min(0)
    return [share, churn]


def drift_row(y: int) -> list[Any]:
    psi = (
        series(
            "Feature drift (PSI) by feature",
            "Population stability index of each input feature over the API's window of recent "
            "inputs against the model's training data, for the versions served now. Below 0.1: "
            f"stable; above {DRIFTED_PSI} (red line): drifted. `lab load --drift` moves it.",
            pos(8, 16, 0, y),
            "none",
            query(PSI, "{{feature}} · {{model_version}}"),
        )
        .decimals(2)
        .min(0)
        .axis_soft_max(1)
        .thresholds(thresholds((None, "green"), (DRIFTED_PSI, "red")))
        .thresholds_style(threshold_line())
    )
    drifted = (
        series(
            "Share of drifted features",
            f"Share of a version's input features whose PSI is above {DRIFTED_PSI}. The "
            f"FeatureDrift alert fires above {m.DRIFT_ALERT_SHARE:.0%} (red line) for "
            "DRIFT_ALERT_FOR (1m).",
            pos(8, 8, 16, y),
            "percentunit",
            query(DRIFTED, "{{model_version}}"),
        )
        .min(0)
        .max(1)
        .thresholds(thresholds((None, "green"), (m.DRIFT_ALERT_SHARE, "red")))
        .thresholds_style(threshold_line())
    )
    return [psi, drifted]
