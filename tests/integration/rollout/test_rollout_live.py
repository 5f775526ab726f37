"""Champion/challenger for real: MLflow, the API and Prometheus as processes, traffic over HTTP.

In order (one stack): a 10% challenger gets ~10% of the calls in Prometheus; a worse challenger
(it predicts no churn at all) fails `lab rollout analyze` with the reason and `lab rollout auto`
aborts it; a good challenger is promoted by `auto` and then answers as champion, while traffic
runs throughout without a single failed request.
"""

from __future__ import annotations

import math

import pytest

from tests.integration.rollout.conftest import Stack, Traffic
from tests.support import wait_until

pytestmark = pytest.mark.integration
SHARE_QUERY = "sum by (model_version) (rate(prediction_requests_total[1m]))"


def served(stack: Stack) -> list[str]:
    return [m["model_version"] for m in stack.health()["models"]]


def test_a_worse_challenger_gets_its_share_then_fails_and_is_aborted(stack: Stack) -> None:
    out = stack.train("v2-worse", "--alias", "challenger", "--c", "0.0001")
    assert "split 10%: HTTP 200" in out, out
    wait_until(lambda: served(stack) == ["v1-champion", "v2-worse"], 30, "the challenger loaded")
    challenger = stack.health()["models"][1]
    assert (challenger["integrity"], challenger["drift_measured"]) == ("verified", True)
    assert stack.health()["split"]["effective_share"] == 0.1

    before = stack.scraped_total()
    with Traffic(stack.api) as traffic:
        traffic.until(1_000)
    n = traffic.sent
    assert traffic.statuses == {"200": n}
    wait_until(lambda: stack.scraped_total() >= before + n, 60, "every call scraped")
    rates = stack.query(SHARE_QUERY)
    share = rates["v2-worse"] / (rates["v2-worse"] + rates["v1-champion"])
    assert abs(share - 0.1) <= 5 * math.sqrt(0.1 * 0.9 / n), rates  # ±0.047 for 1,000 calls

    # The champion's inputs look like its training data (reference from the MLflow run).
    wait_until(lambda: "v1-champion" in stack.query("drifted_features_share"), 30, "drift")
    assert stack.query("drifted_features_share")["v1-champion"] == 0
    assert max(stack.query('feature_drift_psi{model_version="v1-champion"}').values()) < 0.1

    analyzed = stack.lab("rollout", "analyze")
    assert analyzed.returncode == 1, analyzed.stdout + analyzed.stderr
    assert ": fail" in analyzed.stdout and "churn rate 0.0% differs" in analyzed.stdout

    auto = stack.lab("rollout", "auto", "--interval", "2", "--timeout", "60")
    assert auto.returncode == 1, auto.stdout + auto.stderr
    assert "aborted (churn rate 0.0% differs" in auto.stdout
    assert "split 0%: HTTP 200, reload: HTTP 200" in auto.stdout
    wait_until(lambda: served(stack) == ["v1-champion"], 30, "the challenger gone")
    assert stack.health()["split"]["challenger_share"] == 0


def test_a_good_challenger_is_promoted_without_a_failed_request(stack: Stack) -> None:
    with Traffic(stack.api) as traffic:
        stack.train("v3-better", "--alias", "challenger", "--seed", "7")
        wait_until(lambda: "v3-better" in served(stack), 30, "the challenger loaded")
        auto = stack.lab("rollout", "auto", "--interval", "2", "--timeout", "120")
        assert auto.returncode == 0, auto.stdout + auto.stderr
        assert "promoted" in auto.stdout
        wait_until(lambda: stack.health()["model_version"] == "v3-better", 30, "the promotion")
        promoted_at = len(traffic.versions)
        traffic.until(traffic.sent + 50)
    assert traffic.statuses == {"200": traffic.sent}  # not one failed request, promotion included
    assert {"v1-champion", "v3-better"} <= set(traffic.versions[:promoted_at])
    assert set(traffic.versions[promoted_at + 1 :]) == {"v3-better"}  # (+1: one was in flight)
    health = stack.health()
    assert served(stack) == ["v3-better"]
    assert health["split"]["challenger_share"] == 0
