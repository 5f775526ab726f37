"""Champion/challenger for real: MLflow, the API and Prometheus as processes, traffic over HTTP.

One stack: a 10% challenger gets ~10% of the calls in Prometheus; a worse challenger (it
predicts no churn at all) fails `lab rollout analyze` with the reason and `lab rollout auto`
aborts it; a good challenger is promoted by `auto` and then answers as champion, while traffic
runs throughout without a single failed request. Each test starts from whatever champion the
stack serves (v1-champion, or v3-better once promoted), so they pass in either order.
"""

from __future__ import annotations

import math

import pytest

from tests.integration.rollout.conftest import TEST_SECONDS, Stack, Traffic
from tests.support import Deadline, wait_until

pytestmark = pytest.mark.integration
SHARE_QUERY = "sum by (model_version) (rate(prediction_requests_total[1m]))"


def served(stack: Stack) -> list[str]:
    return [m["model_version"] for m in stack.health()["models"]]


def champion_alone(stack: Stack) -> str:
    """The champion the stack serves, with no challenger beside it."""
    (champion,) = served(stack)
    assert stack.health()["model_version"] == champion
    return champion


def test_a_worse_challenger_gets_its_share_then_fails_and_is_aborted(stack: Stack) -> None:
    budget = Deadline(TEST_SECONDS)
    champion = champion_alone(stack)
    out = stack.train("v2-worse", "--alias", "challenger", "--c", "0.0001", timeout=budget.left())
    assert "split 10%: HTTP 200" in out, out
    wait_until(
        lambda: served(stack) == [champion, "v2-worse"], budget.left(30), "the challenger loaded"
    )
    challenger = stack.health()["models"][1]
    assert (challenger["integrity"], challenger["drift_measured"]) == ("verified", True)
    assert stack.health()["split"]["effective_share"] == 0.1

    before = stack.scraped_total()
    with Traffic(stack.api) as traffic:
        traffic.until(1_000, timeout=budget.left(60))
    n = traffic.sent
    assert traffic.statuses == {"200": n}
    wait_until(lambda: stack.scraped_total() >= before + n, budget.left(60), "every call scraped")
    rates = stack.query(SHARE_QUERY)
    share = rates["v2-worse"] / (rates["v2-worse"] + rates[champion])
    assert abs(share - 0.1) <= 5 * math.sqrt(0.1 * 0.9 / n), rates  # ±0.047 for 1,000 calls

    # The champion's inputs look like its training data (reference from the MLflow run).
    wait_until(lambda: champion in stack.query("drifted_features_share"), budget.left(30), "drift")
    assert stack.query("drifted_features_share")[champion] == 0
    assert max(stack.query(f'feature_drift_psi{{model_version="{champion}"}}').values()) < 0.1

    analyzed = stack.lab("rollout", "analyze", timeout=budget.left())
    assert analyzed.returncode == 1, analyzed.stdout + analyzed.stderr
    assert ": fail" in analyzed.stdout and "churn rate 0.0% differs" in analyzed.stdout

    auto = stack.lab(
        "rollout", "auto", "--interval", "2", "--timeout", "60", timeout=budget.left(90)
    )
    assert auto.returncode == 1, auto.stdout + auto.stderr
    assert "aborted (churn rate 0.0% differs" in auto.stdout
    assert "split 0%: HTTP 200, reload: HTTP 200" in auto.stdout
    wait_until(lambda: served(stack) == [champion], budget.left(30), "the challenger gone")
    assert stack.health()["split"]["challenger_share"] == 0


def test_a_good_challenger_is_promoted_without_a_failed_request(stack: Stack) -> None:
    budget = Deadline(TEST_SECONDS)
    champion = champion_alone(stack)
    with Traffic(stack.api) as traffic:
        stack.train("v3-better", "--alias", "challenger", "--seed", "7", timeout=budget.left())
        wait_until(lambda: "v3-better" in served(stack), budget.left(30), "the challenger loaded")
        auto = stack.lab(
            "rollout", "auto", "--interval", "2", "--timeout", "90", timeout=budget.left()
        )
        assert auto.returncode == 0, auto.stdout + auto.stderr
        assert "promoted" in auto.stdout
        wait_until(
            lambda: stack.health()["model_version"] == "v3-better", budget.left(30), "the promotion"
        )
        promoted_at = len(traffic.versions)
        traffic.until(traffic.sent + 50, timeout=budget.left(30))
    assert traffic.statuses == {"200": traffic.sent}  # not one failed request, promotion included
    assert {champion, "v3-better"} <= set(traffic.versions[:promoted_at])
    assert set(traffic.versions[promoted_at + 1 :]) == {"v3-better"}  # (+1: one was in flight)
    health = stack.health()
    assert served(stack) == ["v3-better"]
    assert health["split"]["challenger_share"] == 0
