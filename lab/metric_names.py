"""The metric names the lab emits and reads: their one owner, at the bottom layer.

The serving app and the segment-update flow create their metrics with these names; the
dashboard, the rollout analysis and config/prometheus/rules.yml are built on them;
tests/integration/observability checks that every expression built on them returns data from the
real API and CRM. A name is a contract (DESIGN.md): `model_version` is a label, never a name.
"""

PREDICTIONS = "prediction_requests_total"  # counter {model_version, outcome}
LATENCY = "prediction_latency_seconds"  # histogram {model_version}
MODEL_LOADED = "model_loaded"  # gauge {model_version, registry_version, source}: 1 serving
RELOAD_FAILURES = "model_reload_failures_total"  # counter
#: Litestar's Prometheus plugin, prefix "api": {app_name, method, path, status_code}
API_HTTP_REQUESTS = "api_requests_total"
CRM_UPDATES = "crm_segment_updates_total"  # counter {outcome, segment}
CRM_CALL = "crm_call_duration_seconds"  # histogram {operation, outcome}
PREDICTION_OK = "ok"  # prediction outcomes: ok, invalid (bad input: 4xx), unavailable, error
PREDICTION_CLIENT_ERROR = "invalid"
PREDICTION_OUTCOMES = (PREDICTION_OK, PREDICTION_CLIENT_ERROR, "unavailable", "error")
#: share of the traffic the split sends to the challenger (gauge, 0..1)
CHALLENGER_SHARE = "challenger_traffic_share"
CRM_UPDATE_OK = "success"  # segment-update outcomes: success or why it failed
#: Drift (lab/drift.py, exported by the API per model version over its rolling input window)
DRIFT_PSI = "feature_drift_psi"  # gauge {model_version, feature}: PSI vs the training reference
DRIFTED_SHARE = "drifted_features_share"  # gauge {model_version}: share of features drifted, 0..1
#: The FeatureDrift alert fires when more than this share of a version's features drifted.
DRIFT_ALERT_SHARE = 0.3
PREDICTED_ROWS = "prediction_rows_total"  # counter {model_version}: rows scored by /predict
PREDICTED_CHURN = "prediction_churn_rows_total"  # counter {model_version}: rows scored as churn
