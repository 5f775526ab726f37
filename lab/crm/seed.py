"""The CRM's seed customers: the four named ones of the seed documents plus synthetic ones.

Deterministic: the same `count` always gives the same customers and features (features come
from `lab.data.generate_features`, the same generator the model is trained on).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import SupportsFloat

from lab.data import FEATURE_NAMES, generate_features

#: Seed of the synthetic customers' features (independent of training and evaluation seeds).
SYNTHETIC_SEED = 20_240_604
SYNTHETIC_PREFIX = "CUST_"


@dataclass(frozen=True)
class SeedCustomer:
    customer_id: str
    name: str
    features: tuple[float, ...]  # in FEATURE_NAMES order


# tenure, spend, tickets, logins, days_idle, contract, pay_fail, products, session, satisfaction
NAMED: tuple[SeedCustomer, ...] = (
    SeedCustomer("CUST001", "Ana Costa", (48, 85.5, 0, 22, 1, 24, 0, 3, 32.0, 5)),
    SeedCustomer("CUST002", "Ben Okafor", (14, 72.0, 2, 10, 9, 12, 0, 2, 18.5, 3)),
    SeedCustomer("CUST003", "Chloé Martin", (3, 120.0, 5, 2, 45, 1, 2, 1, 6.0, 1)),
    SeedCustomer("CUST_TEST_007", "Test Customer 007", (6, 95.0, 3, 5, 21, 1, 1, 1, 12.0, 2)),
)


def synthetic_id(index: int) -> str:
    """Id of the `index`-th synthetic customer (1-based): CUST_000001, CUST_000002, ..."""
    return f"{SYNTHETIC_PREFIX}{index:06d}"


def seed_customers(count: int) -> Iterator[SeedCustomer]:
    """The named customers, then `count` synthetic ones."""
    for customer in NAMED:
        assert len(customer.features) == len(FEATURE_NAMES)
        yield SeedCustomer(customer.customer_id, customer.name, _floats(customer.features))
    X = generate_features(count, SYNTHETIC_SEED)
    for index, row in enumerate(X, start=1):
        yield SeedCustomer(synthetic_id(index), f"Synthetic customer {index:06d}", _floats(row))


def _floats(values: Iterable[SupportsFloat]) -> tuple[float, ...]:
    return tuple(float(v) for v in values)
