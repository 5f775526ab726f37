"""The metric names the dashboard and the rules are built on (the serving and CRM contracts).

config/prometheus/rules.yml uses the same names; tests/integration/observability checks that
every expression built on them returns data from the real API and CRM.
"""

PREDICTIONS = "prediction_requests_total"  # counter {model_version, outcome}
LATENCY = "prediction_latency_seconds"  # histogram {model_version}
MODEL_LOADED = "model_loaded"  # gauge {model_version, source}: 1 loaded, 0 not
RELOAD_FAILURES = "model_reload_failures_total"  # counter
API_HTTP_REQUESTS = "api_requests_total"  # Litestar's prometheus plugin {method, path, status_code}
CRM_UPDATES = "crm_segment_updates_total"  # counter {outcome, segment}
CRM_CALL = "crm_call_duration_seconds"  # histogram {operation}
SUCCESS = "success"  # the `outcome` label of a call that worked
