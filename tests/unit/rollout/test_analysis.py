from __future__ import annotations

import httpx
import pytest
import respx
from hypothesis import given
from hypothesis import strategies as st

from lab.rollout import analysis
from lab.rollout.analysis import Thresholds, VersionStats, judge

T = Thresholds()


def stats(version="a", requests=500.0, errors=0.0, p95=0.010, churn=0.4) -> VersionStats:
    return VersionStats(version, requests, errors, p95, churn)


def test_equal_versions_pass():
    assert judge(stats("a"), stats("b"), T).verdict == "pass"


def test_too_few_requests_waits_and_names_the_version():
    result = judge(stats("a"), stats("b", requests=10), T)
    assert result.verdict == "wait"
    assert "b" in result.reasons[0]


@pytest.mark.parametrize(
    ("challenger", "phrase"),
    [
        (stats("b", errors=0.05), "error ratio"),
        (stats("b", p95=0.050), "p95 latency"),
        (stats("b", churn=0.9), "churn rate"),
    ],
)
def test_each_bad_signal_fails_with_its_reason(challenger, phrase):
    result = judge(stats("a"), challenger, T)
    assert result.verdict == "fail"
    assert any(phrase in r for r in result.reasons)


#: Hand-computed around the default limits (error ratio +0.01, p95 x1.5 or +5 ms, churn ±0.15).
BOUNDARIES = [
    # (champion, challenger, verdict)
    (stats(errors=0.02), stats("b", errors=0.029), "pass"),
    (stats(errors=0.02), stats("b", errors=0.031), "fail"),
    (stats(p95=0.100), stats("b", p95=0.149), "pass"),  # limit 150 ms (x1.5)
    (stats(p95=0.100), stats("b", p95=0.151), "fail"),
    (stats(p95=0.004), stats("b", p95=0.0089), "pass"),  # limit 9 ms (+5 ms beats x1.5)
    (stats(p95=0.004), stats("b", p95=0.0091), "fail"),
    (stats(churn=0.40), stats("b", churn=0.54), "pass"),
    (stats(churn=0.40), stats("b", churn=0.26), "pass"),
    (stats(churn=0.40), stats("b", churn=0.56), "fail"),
    (stats(churn=0.40), stats("b", churn=0.24), "fail"),
    (stats(errors=0.5, p95=1.0), stats("b", errors=0.0, p95=0.001), "pass"),  # better is fine
]


@pytest.mark.parametrize(("champion", "challenger", "verdict"), BOUNDARIES)
def test_the_limits_by_hand(champion, challenger, verdict):
    result = judge(champion, challenger, T)
    assert result.verdict == verdict
    assert bool(result.reasons) == (verdict == "fail")


ratios = st.floats(0, 1)
lat = st.floats(0.0001, 2)
more = st.floats(0, 1)


@given(e=ratios, p95=lat, c=ratios)
def test_a_challenger_like_the_champion_passes(e, p95, c):
    same = {"errors": e, "p95": p95, "churn": c}
    assert judge(stats("a", **same), stats("b", **same), T).verdict == "pass"


@given(e1=ratios, e2=ratios, l1=lat, l2=lat, c1=ratios, c2=ratios, de=more, dl=more, dc=more)
def test_a_worse_challenger_never_does_better(e1, e2, l1, l2, c1, c2, de, dl, dc):
    """More errors, a slower p95 or a churn rate farther from the champion's can turn a pass
    into a fail, never a fail into a pass; a fail always says why."""
    champion = stats("a", errors=e1, p95=l1, churn=c1)
    away = 1 if c2 >= c1 else -1
    worse = stats("b", errors=e2 + de, p95=l2 + dl, churn=c2 + away * dc)
    before, after = (
        judge(champion, stats("b", errors=e2, p95=l2, churn=c2), T),
        judge(champion, worse, T),
    )
    assert not (before.verdict == "fail" and after.verdict == "pass")
    assert len(before.reasons) <= len(after.reasons)
    for result in (before, after):
        assert (result.verdict == "fail") == bool(result.reasons)


def test_thresholds_file_errors_name_the_key(tmp_path):
    bad = tmp_path / "rollout.yml"
    bad.write_text("min_requests: -3\n", encoding="utf-8")
    with pytest.raises(ValueError, match="min_requests"):
        Thresholds.load(bad)
    bad.write_text("surprise: 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="surprise"):
        Thresholds.load(bad)


def test_shipped_thresholds_load(settings):
    assert Thresholds.load(settings.LAB_CONFIG_DIR / "rollout.yml").min_requests > 0


@respx.mock
def test_collect_reads_each_query_by_model_version():
    def answer(request: httpx.Request) -> httpx.Response:
        q = request.url.params["query"]
        value = {"requests": 200, "errors": 4, "p95_latency": 0.02, "churned": 50, "predicted": 200}
        name = next(k for k, v in analysis.queries("2m").items() if v == q)
        result = [{"metric": {"model_version": "v1"}, "value": [0, str(value[name])]}]
        return httpx.Response(200, json={"status": "success", "data": {"result": result}})

    respx.get("http://prom/api/v1/query").mock(side_effect=answer)
    (v1, v2) = analysis.collect("http://prom", ("v1", "v2"), "2m")
    assert (v1.requests, v1.error_ratio, v1.p95_latency, v1.churn_rate) == (200, 0.02, 0.02, 0.25)
    assert v2.requests == 0 and v2.error_ratio == 0
