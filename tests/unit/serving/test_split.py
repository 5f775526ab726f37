"""The traffic split: the choice itself, the shared file across workers, POST /admin/split."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys

import pytest
from litestar.testing import TestClient

from lab.serving.app import create_app
from lab.serving.split import SHARED_FILE, TrafficSplit, sticky_point
from tests.support import REPO
from tests.unit.serving.conftest import ADMIN, metric_value


def test_no_share_never_and_full_share_always_choose_the_challenger() -> None:
    assert not any(TrafficSplit(0.0).to_challenger(k, "v2") for k in ("a", "b", None))
    assert all(TrafficSplit(1.0).to_challenger(k, "v2") for k in ("a", "b", None))


#: (customer, challenger) -> its point, computed once (blake2b): the same on every worker, run,
#: Python version and platform. Per-process `hash()` would give other values in each process.
PINNED_POINTS = {
    ("CUST_0001", "v2"): 0.9040538816962608,
    ("CUST_0001", "v3"): 0.10445735208975204,
    ("CUST_0002", "v2"): 0.8677250013439195,
    ("CUST_TEST_007", "v2-chal"): 0.5369071978993846,
    ("", ""): 0.9618044850102755,
    ("ünïcødé", "v2"): 0.9497169740297308,
}
_POINTS_SCRIPT = """
import json, sys
from lab.serving.split import sticky_point
pairs = json.loads(sys.stdin.read())
print(json.dumps([sticky_point(key, salt) for key, salt in pairs]))
"""


def test_sticky_points_are_the_pinned_values() -> None:
    assert {pair: sticky_point(*pair) for pair in PINNED_POINTS} == PINNED_POINTS


@pytest.mark.parametrize("hash_seed", ["1", "2"])
def test_another_interpreter_computes_the_same_points(hash_seed: str) -> None:
    """What a second worker process computes (with its own string-hash seed)."""
    pairs = list(PINNED_POINTS)
    done = subprocess.run(
        [sys.executable, "-c", _POINTS_SCRIPT],
        input=json.dumps(pairs), capture_output=True, text=True, timeout=120, check=True,
        env={**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert json.loads(done.stdout) == list(PINNED_POINTS.values())


def test_a_customer_goes_where_its_pinned_point_says() -> None:
    split = TrafficSplit(0.5, draw=lambda: pytest.fail("a keyed request must not draw"))
    assert split.to_challenger("CUST_0001", "v3") is True  # 0.104 < 0.5
    assert split.to_challenger("CUST_0001", "v2") is False  # 0.904
    assert TrafficSplit(0.53).to_challenger("CUST_TEST_007", "v2-chal") is False  # 0.5369
    assert TrafficSplit(0.54).to_challenger("CUST_TEST_007", "v2-chal") is True


def test_without_a_key_the_draw_decides() -> None:
    draws = iter([0.05, 0.5])
    split = TrafficSplit(0.1, draw=lambda: next(draws))
    assert split.to_challenger(None, "v2") is True
    assert split.to_challenger(None, "v2") is False


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan")])
def test_a_share_outside_0_to_1_is_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        TrafficSplit(bad)
    with pytest.raises(ValueError, match="between 0 and 1"):
        TrafficSplit(0.1).set(bad)


def test_workers_share_the_split_through_the_shared_folder(tmp_path) -> None:
    one, two = TrafficSplit(0.0, tmp_path), TrafficSplit(0.0, tmp_path)
    one.set(0.25)
    assert two.share == 0.0  # until its next poll
    assert two.sync() is True
    assert (two.share, two.state.set_by) == (0.25, "admin")
    assert two.sync() is False  # nothing new: a stat call only
    (tmp_path / SHARED_FILE).write_text("{not json")
    two.sync()  # a broken file never breaks serving
    assert two.share == 0.25
    (tmp_path / SHARED_FILE).write_text(json.dumps({"share": 7, "set_by": "x", "set_at": "y"}))
    two.sync()
    assert two.share == 0.25


def test_a_worker_started_after_a_change_begins_with_it(tmp_path) -> None:
    TrafficSplit(0.0, tmp_path).set(0.4)
    late = TrafficSplit(0.0, tmp_path)  # e.g. uvicorn replaced a hung worker
    assert (late.share, late.state.set_by) == (0.4, "admin")
    assert late.sync() is False
    assert TrafficSplit(0.1, tmp_path / "elsewhere").share == 0.1  # no shared file: the setting


def test_a_rewrite_with_the_same_share_is_no_change(tmp_path) -> None:
    one, two = TrafficSplit(0.0, tmp_path), TrafficSplit(0.0, tmp_path)
    one.set(0.2)
    assert two.sync() is True
    one.set(0.2)  # set again (new set_at): the share the gauge shows did not change
    assert two.sync() is False
    assert two.state == one.state


def test_a_second_change_within_one_timestamp_tick_is_seen(tmp_path) -> None:
    one, two = TrafficSplit(0.0, tmp_path), TrafficSplit(0.0, tmp_path)
    one.set(0.2)
    assert two.sync() is True
    shared = tmp_path / SHARED_FILE
    tick = shared.stat().st_mtime_ns
    one.set(0.6)
    os.utime(shared, ns=(tick, tick))  # a coarse file-system clock: the same mtime as before
    assert two.sync() is True
    assert two.share == 0.6


def test_a_split_that_cannot_be_shared_changes_nothing(tmp_path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the workers' folder should be")
    split = TrafficSplit(0.1, blocked)
    with pytest.raises(OSError):
        split.set(0.5)
    assert (split.share, split.state.set_by) == (0.1, "setting")


# ---- POST /admin/split -------------------------------------------------------------------------
def test_admin_split_sets_the_share_and_health_and_metrics_show_it(client) -> None:
    answer = client.post("/admin/split", json={"share": 0.3}, headers=ADMIN)
    assert answer.status_code == 200
    body = answer.json()
    assert (body["challenger_share"], body["set_by"]) == (0.3, "admin")
    assert body["effective_share"] == 0.0  # no challenger is loaded
    assert "X-Customer-Id" in body["sticky_by"]
    health = client.get("/health").json()
    assert health["split"]["challenger_share"] == 0.3
    assert [m["alias"] for m in health["models"]] == ["champion"]
    assert metric_value(client.get("/metrics").text, "challenger_traffic_share") == 0.3


def test_admin_split_needs_the_admin_token(client) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}):
        answer = client.post("/admin/split", json={"share": 0.5}, headers=headers)
        assert answer.status_code == 401
        assert answer.headers["content-type"].startswith("application/problem+json")
    assert client.get("/health").json()["split"]["challenger_share"] == 0.0


@pytest.mark.parametrize(
    ("body", "status", "phrase"),
    [
        (b"", 400, "the body is empty"),
        (b"{share: 1}", 400, "not JSON"),
        (b"[0.1]", 422, "share must be a number"),
        (b'{"share": "10%"}', 422, "share must be a number"),
        (b'{"share": true}', 422, "share must be a number"),
        (b'{"share": null}', 422, "share must be a number"),
        (b"{}", 422, "no `share`"),
        (b'{"share": 0.1, "alias": "x"}', 422, "other than `share`"),
        (b'{"share": 1.5}', 422, "outside 0 to 1"),
        (b'{"share": -0.1}', 422, "outside 0 to 1"),
        (b'{"share": 1e999}', 422, "outside 0 to 1"),
    ],
)
def test_admin_split_refuses_bad_bodies_with_a_problem(client, body, status, phrase) -> None:
    answer = client.post("/admin/split", content=body, headers=ADMIN)
    assert answer.status_code == status, answer.text
    problem = answer.json()
    assert phrase in problem["detail"]
    assert '{"share": S}' in problem["detail"]  # says how to fix it
    assert client.get("/health").json()["split"]["challenger_share"] == 0.0


def test_the_setting_gives_the_starting_share(offline) -> None:
    from tests.model_files import write_model

    settings = offline(CHALLENGER_SHARE=0.2)
    write_model(settings)
    with TestClient(create_app(settings)) as c:
        split = c.get("/health").json()["split"]
    assert (split["challenger_share"], split["set_by"]) == (0.2, "setting")


def test_random_draws_follow_the_share() -> None:
    rng = random.Random(3)
    split = TrafficSplit(0.2, draw=rng.random)
    hits = sum(split.to_challenger(None, "v2") for _ in range(10_000))
    assert 1_800 < hits < 2_200  # 0.2 ± 5 standard deviations (40)


def test_admin_split_that_cannot_be_shared_is_a_503_and_changes_nothing(
    settings, tmp_path, monkeypatch
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the workers' folder should be")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(blocked))
    with TestClient(create_app(settings)) as client:
        answer = client.post("/admin/split", json={"share": 0.5}, headers=ADMIN)
        assert answer.status_code == 503
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert "nothing changed" in answer.json()["detail"]
        assert client.get("/health").json()["split"]["challenger_share"] == 0.0
