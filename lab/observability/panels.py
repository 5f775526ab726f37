"""Building blocks of the dashboard's panels (grafana-foundation-sdk): queries, thresholds, panels.

Every panel and query names the provisioned Prometheus datasource by its fixed uid.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import common as cb
from grafana_foundation_sdk.builders import dashboard as gd
from grafana_foundation_sdk.builders import prometheus as prom
from grafana_foundation_sdk.builders import stat, timeseries
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as dm
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

from lab.observability.grafana import DATASOURCE_UID

DATASOURCE = dm.DataSourceRef(type_val="prometheus", uid=DATASOURCE_UID)
RATE = "$__rate_interval"


def query(
    expr: str, legend: str = "", ref: str = "A", *, heat: bool = False, instant: bool = False
) -> prom.Dataquery:
    q = prom.Dataquery().expr(expr).ref_id(ref).datasource(DATASOURCE)
    q = q.legend_format(legend or "__auto")
    if heat:
        q = q.format(PromQueryFormat.HEATMAP)
    return q.instant() if instant else q.range()


def thresholds(*steps: tuple[float | None, str]) -> gd.ThresholdsConfig:
    return (
        gd.ThresholdsConfig()
        .mode(dm.ThresholdsMode.ABSOLUTE)
        .steps([dm.Threshold(value=v, color=c) for v, c in steps])
    )


def threshold_line() -> cb.GraphThresholdsStyleConfig:
    """Draw the thresholds of a time series as lines (e.g. the SLO, the drift limit)."""
    return cb.GraphThresholdsStyleConfig().mode(common.GraphThresholdsStyleMode.LINE)


def pos(h: int, w: int, x: int, y: int) -> dm.GridPos:
    return dm.GridPos(h=h, w=w, x=x, y=y)


def series(
    title: str, description: str, grid: dm.GridPos, unit: str, *targets: prom.Dataquery
) -> timeseries.Panel:
    panel = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .grid_pos(grid)
        .unit(unit)
        .fill_opacity(10)
        .line_width(2)
        .legend(
            cb.VizLegendOptions()
            .display_mode(common.LegendDisplayMode.LIST)
            .placement(common.LegendPlacement.BOTTOM)
            .show_legend(True)
        )
    )
    for target in targets:
        panel = panel.with_target(target)
    return panel


def single_stat(
    title: str, description: str, grid: dm.GridPos, target: prom.Dataquery
) -> stat.Panel:
    return (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .grid_pos(grid)
        .unit("short")
        .with_target(target)
    )
