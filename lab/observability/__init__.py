"""Monitoring: Prometheus and Grafana as local processes, the dashboard, the load generator."""
