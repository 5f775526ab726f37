"""Metrics of the segment-update flow, created in the serving app's registry.

- `crm_segment_updates_total{outcome, segment}` — every /crm_segment_update call (and every
  `lab segment` write through the API process); `outcome` is `success` or why it failed
  (invalid_id, not_found, model_unavailable, crm_unavailable, crm_timeout, crm_bad_answer),
  `segment` the new segment (`none` when the update failed).
- `crm_call_duration_seconds{operation, outcome}` — each CRM call (get_features, put_segment, ...)
  including its retries.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from lab import metric_names as m

CALL_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
NO_SEGMENT = "none"


class FlowMetrics:
    def __init__(self, registry: CollectorRegistry):
        self.updates = Counter(
            m.CRM_UPDATES,
            "Calls of /crm_segment_update by outcome (success or the failure) and new segment.",
            ["outcome", "segment"],
            registry=registry,
        )
        self.crm_calls = Histogram(
            m.CRM_CALL,
            "Time of one CRM call (with its retries) by operation and outcome, in seconds.",
            ["operation", "outcome"],
            buckets=CALL_BUCKETS,
            registry=registry,
        )

    def observe_call(self, operation: str, seconds: float, outcome: str) -> None:
        """A `lab.crm.client.CallObserver`."""
        self.crm_calls.labels(operation, outcome).observe(seconds)

    def update(self, outcome: str, segment: str | None = None) -> None:
        self.updates.labels(outcome, segment or NO_SEGMENT).inc()
