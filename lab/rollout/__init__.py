"""Champion/challenger rollout: analysis on Prometheus, alias moves in the MLflow registry."""
