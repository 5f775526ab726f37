"""A really fitted churn model written as `lab train` writes it (joblib + skops + manifest).

For tests that need the API to serve a model without training through MLflow first.
"""

from __future__ import annotations

from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from lab import data, drift
from lab.settings import Settings
from lab.training.manifest import Manifest, dump_model, dump_skops, write_manifest


def write_model(settings: Settings, label: str = "v-test", *, with_reference: bool = False) -> None:
    """`with_reference`: the manifest carries the training data's drift reference, as
    `lab train` writes it."""
    ds = data.generate(500, seed=2)
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(ds.X, ds.y)
    digest = dump_model(model, settings.model_path)
    skops_digest = dump_skops(model, settings.skops_model_path)
    reference = drift.reference(ds.X, data.FEATURE_NAMES) if with_reference else {}
    write_manifest(
        Manifest(
            label=label, model_name=settings.MODEL_NAME, registry_version=None, run_id=None,
            feature_names=list(data.FEATURE_NAMES), metrics={}, eval_metrics={}, sha256=digest,
            created_at="2026-01-01T00:00:00Z", drift_reference=reference,
            skops_sha256=skops_digest,
        ),
        settings.manifest_path,
    )  # fmt: skip
