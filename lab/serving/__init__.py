"""The serving API (Litestar): /predict, /health, /ready, /metrics, /admin/reload.

Build it with `lab.serving.app.create_app(settings)`; run it with `lab serve`.
"""
