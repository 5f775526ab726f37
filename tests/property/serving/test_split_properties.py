"""The split honours the share within statistical bounds, for any share and seed; sticky choices
never change for a customer, and a larger share only adds customers to the challenger."""

from __future__ import annotations

import math
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from lab.serving.split import TrafficSplit

N = 4_000
shares = st.floats(0.0, 1.0)
seeds = st.integers(0, 2**32 - 1)


def within_bounds(hits: int, n: int, share: float) -> bool:
    """|hits - n·share| within 5 standard deviations of a binomial (p ≈ 6e-7 to fail by chance)."""
    sd = math.sqrt(n * share * (1 - share))
    return abs(hits - n * share) <= 5 * sd + 1


@settings(max_examples=60, deadline=None)
@given(share=shares, seed=seeds)
def test_random_choices_follow_the_share(share: float, seed: int) -> None:
    split = TrafficSplit(share, draw=random.Random(seed).random)
    hits = sum(split.to_challenger(None, "v2") for _ in range(N))
    assert within_bounds(hits, N, share)


@settings(max_examples=60, deadline=None)
@given(share=shares, seed=seeds, salt=st.text(min_size=1, max_size=12))
def test_sticky_choices_follow_the_share_over_customers(share: float, seed: int, salt: str):
    split = TrafficSplit(share)
    customers = [f"CUST_{seed}_{i:05d}" for i in range(N)]
    hits = sum(split.to_challenger(c, salt) for c in customers)
    assert within_bounds(hits, N, share)


@settings(max_examples=100, deadline=None)
@given(
    customer=st.text(min_size=1, max_size=64),
    share=shares,
    more=shares,
    seed=seeds,
)
def test_a_customer_always_meets_the_same_model(customer, share, more, seed) -> None:
    # the random draw must play no part when a customer id is given
    split = TrafficSplit(share, draw=random.Random(seed).random)
    first = split.to_challenger(customer, "v2")
    assert all(split.to_challenger(customer, "v2") == first for _ in range(20))
    assert TrafficSplit(share).to_challenger(customer, "v2") == first  # another worker agrees
    larger = TrafficSplit(max(share, more))
    assert larger.to_challenger(customer, "v2") or not first  # raising the share keeps them
