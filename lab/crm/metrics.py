"""The CRM's Prometheus metrics: writes and table sizes (HTTP traffic: `lab.web.http_metrics`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from litestar import Request, Response, get
from prometheus_client import REGISTRY, CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _TableSizes(Collector):
    """`crm_customers` and `crm_segment_history_rows`, read from the store at scrape time."""

    def __init__(self) -> None:
        self.counts: Callable[[], tuple[int, int]] | None = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        if self.counts is None:  # no store open (before the lifespan, after it)
            return
        customers, history = self.counts()
        yield GaugeMetricFamily("crm_customers", "Customers in the CRM", value=customers)
        yield GaugeMetricFamily(
            "crm_segment_history_rows", "Rows in the segment history", value=history
        )


class CrmMetrics:
    """The CRM app's own registry (one per app, so tests may build many apps)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.writes = Counter(
            "crm_segment_writes_total",
            "Segment writes by outcome: applied, replayed, not_found, conflict, unauthorized",
            ["outcome"],
            registry=self.registry,
        )
        self._sizes = _TableSizes()
        self.registry.register(self._sizes)

    def watch_store(self, counts: Callable[[], tuple[int, int]] | None) -> None:
        """Report the sizes of the store `counts` reads (None: the store is closed)."""
        self._sizes.counts = counts

    def render(self) -> bytes:
        return generate_latest(REGISTRY) + generate_latest(self.registry)


@get("/metrics", include_in_schema=False, sync_to_thread=False)
def metrics_endpoint(request: Request) -> Response[bytes]:
    return Response(request.app.state.crm.metrics.render(), media_type=CONTENT_TYPE)
