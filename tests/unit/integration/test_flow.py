"""The segment-update flow against injected CRM faults (respx) and a real fitted model.

Every fault class maps to its status and metric outcome, and nothing is written to the CRM
when the read or the prediction failed.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import httpx
import numpy as np
import pytest
import respx
from prometheus_client import CollectorRegistry
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from lab import data
from lab.crm.client import CrmClient
from lab.integration.flow import FlowError, SegmentUpdater, crm_request_id, usable_request_id
from lab.integration.metrics import FlowMetrics
from lab.integration.segments import load_rules

pytestmark = pytest.mark.anyio

CRM = "http://127.0.0.1:18001"
FEATURES = dict(zip(data.FEATURE_NAMES, map(float, data.generate_features(1, 3)[0]), strict=True))


class NoModel(RuntimeError):
    pass


@dataclass
class RealModel:
    """A really fitted sklearn pipeline (the flow only needs `label` and `predict_proba`)."""

    label: str = "v-test"

    def __post_init__(self) -> None:
        ds = data.generate(400, seed=1)
        self._model = make_pipeline(StandardScaler(), LogisticRegression()).fit(ds.X, ds.y)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self._model.predict_proba(X)[:, 1]


class Models:
    def __init__(self, model=None, error: Exception | None = None):
        self.model, self.error = model, error

    def pick(self, customer_id=None):
        self.asked = customer_id
        if self.error:
            raise self.error
        return self.model


class Broken(RealModel):
    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        raise FloatingPointError("boom")


@pytest.fixture
def parts(settings_factory):
    settings = settings_factory(CRM_URL=CRM, CRM_RETRIES=1)
    registry = CollectorRegistry()
    metrics = FlowMetrics(registry)

    async def no_sleep(_s: float) -> None:
        return None

    crm = CrmClient(settings, observe=metrics.observe_call, sleep=no_sleep)
    rules = load_rules(settings.segment_rules_file)
    return crm, rules, metrics, registry


SECRET = "test-crm-token-0000"


def updater(parts, models) -> SegmentUpdater:
    crm, rules, metrics, _ = parts
    return SegmentUpdater(crm, models, rules, metrics, model_errors=(NoModel,), key_secret=SECRET)


def count(registry: CollectorRegistry, outcome: str, segment: str = "none") -> float:
    value = registry.get_sample_value(
        "crm_segment_updates_total", {"outcome": outcome, "segment": segment}
    )
    return value or 0.0


def mock_crm(mock: respx.MockRouter, customer: str = "CUST001"):
    read = mock.get(f"{CRM}/customers/{customer}/features")
    write = mock.put(f"{CRM}/customers/{customer}/segment")

    def answer(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)
        return httpx.Response(
            200,
            json={**sent, "customer_id": customer, "old_segment": "low_risk",
                  "updated_at": "2026-01-01T00:00:00.000Z", "replayed": False},
        )  # fmt: skip

    write.mock(side_effect=answer)
    return read, write


def inject(route: respx.Route, fault: httpx.Response | Exception) -> None:
    if isinstance(fault, Exception):
        route.mock(side_effect=fault)
    else:
        route.mock(return_value=fault)


async def test_success_reads_predicts_maps_and_writes(parts, caplog) -> None:
    model = RealModel()
    expected_p = float(model.predict_proba(np.array([list(FEATURES.values())]))[0])
    with respx.mock(using="httpx") as mock, caplog.at_level(logging.INFO, "lab.integration.flow"):
        read, write = mock_crm(mock)
        read.respond(json={"customer_id": "CUST001", "features": FEATURES})
        result = await updater(parts, Models(model)).update("CUST001", "rid-1")
    _, rules, _, registry = parts
    assert result.probability == pytest.approx(expected_p)
    assert result.new_segment == rules.segment_for(expected_p)
    assert (result.old_segment, result.model_version, result.request_id) == (
        "low_risk", "v-test", "rid-1"
    )  # fmt: skip
    sent = json.loads(write.calls.last.request.content)
    assert sent == {
        "segment": result.new_segment, "model_version": "v-test",
        "probability": result.probability, "request_id": crm_request_id("rid-1", "CUST001", SECRET),
    }  # fmt: skip
    steps = [r.getMessage() for r in caplog.records if getattr(r, "request_id", "") == "rid-1"]
    assert [s[:8] for s in steps] == ["step 1/4", "step 2/4", "step 3/4", "step 4/4"]
    assert count(registry, "success", result.new_segment) == 1
    assert (
        registry.get_sample_value(
            "crm_call_duration_seconds_count", {"operation": "put_segment", "outcome": "success"}
        )
        == 1
    )


@pytest.mark.parametrize(
    ("fault", "status", "outcome"),
    [
        (httpx.Response(404, json={"detail": "no"}), 404, "not_found"),
        (httpx.Response(500, text="boom"), 502, "crm_bad_answer"),
        (
            httpx.Response(200, text="<html>", headers={"content-type": "text/html"}),
            502,
            "crm_bad_answer",
        ),
        (
            httpx.Response(200, json={"customer_id": "CUST001", "features": [1, 2]}),
            502,
            "crm_bad_answer",
        ),
        (httpx.ReadTimeout("slow"), 504, "crm_timeout"),
        (httpx.ConnectTimeout("slow"), 504, "crm_timeout"),
        (httpx.ConnectError("refused"), 503, "crm_unavailable"),
    ],
)
async def test_failed_read_maps_the_error_and_writes_nothing(parts, fault, status, outcome) -> None:
    with respx.mock(using="httpx", assert_all_called=False) as mock:
        read, write = mock_crm(mock)
        read.mock(side_effect=fault) if isinstance(fault, Exception) else read.mock(
            return_value=fault
        )
        with pytest.raises(FlowError) as err:
            await updater(parts, Models(RealModel())).update("CUST001", "rid-2")
    assert (err.value.status, err.value.outcome) == (status, outcome)
    assert write.call_count == 0
    assert count(parts[3], outcome) == 1
    if outcome == "crm_unavailable":
        assert CRM in err.value.detail and "lab crm" in err.value.detail


@pytest.mark.parametrize(
    ("models", "outcome"),
    [
        (Models(error=NoModel("run `lab train`")), "model_unavailable"),
        (Models(Broken()), "prediction_failed"),
    ],
)
async def test_failed_prediction_writes_nothing(parts, models, outcome) -> None:
    with respx.mock(using="httpx", assert_all_called=False) as mock:
        read, write = mock_crm(mock)
        read.respond(json={"customer_id": "CUST001", "features": FEATURES})
        with pytest.raises(FlowError) as err:
            await updater(parts, models).update("CUST001", "rid-3")
    assert err.value.status == 503 and err.value.outcome == outcome
    assert read.call_count == 1 and write.call_count == 0


@pytest.mark.parametrize(
    ("fault", "status", "outcome"),
    [
        (httpx.ReadTimeout("slow"), 504, "crm_timeout"),
        (httpx.ConnectError("refused"), 503, "crm_unavailable"),
        (httpx.Response(401, json={"detail": "token"}), 502, "crm_bad_answer"),
        (httpx.Response(404, json={"detail": "gone"}), 404, "not_found"),
    ],
)
async def test_failed_write_maps_the_error(parts, fault, status, outcome) -> None:
    with respx.mock(using="httpx") as mock:
        read, write = mock_crm(mock)
        read.respond(json={"customer_id": "CUST001", "features": FEATURES})
        write.mock(side_effect=fault) if isinstance(fault, Exception) else write.mock(
            return_value=fault
        )
        with pytest.raises(FlowError) as err:
            await updater(parts, Models(RealModel())).update("CUST001", "rid-4")
    assert (err.value.status, err.value.outcome) == (status, outcome)


@pytest.mark.parametrize(
    "hostile", ["../x", "%2e%2e", "x" * 10_000, "CUST' OR '1'='1", "CUSTé", ""]
)
async def test_hostile_ids_are_400_without_any_crm_call(parts, hostile: str) -> None:
    with respx.mock(using="httpx", assert_all_called=False) as mock:
        everything = mock.route()
        with pytest.raises(FlowError) as err:
            await updater(parts, Models(RealModel())).update(hostile, "rid-5")
    assert err.value.status == 400 and everything.call_count == 0
    assert len(err.value.detail) < 400
    assert count(parts[3], "invalid_id") == 1


def test_request_ids() -> None:
    assert usable_request_id("abc-123") == "abc-123"
    for bad in (None, "", "../x", "a b", "x" * 500, "abc\n"):
        generated = usable_request_id(bad)
        assert generated != bad and len(generated) == 32


async def test_the_customer_id_chooses_the_model_and_the_answer_names_it(parts) -> None:
    models = Models(RealModel(label="v-challenger"))
    with respx.mock(using="httpx") as mock:
        read, write = mock_crm(mock)
        read.respond(json={"customer_id": "CUST001", "features": FEATURES})
        result = await updater(parts, models).update("CUST001", "rid-9")
    assert models.asked == "CUST001"  # the split is sticky per customer
    assert result.model_version == "v-challenger"
    assert json.loads(write.calls.last.request.content)["model_version"] == "v-challenger"
