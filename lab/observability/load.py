"""`lab load`: a bounded traffic generator for the API, so the dashboard has something to show.

A paced loop (one request every 1/rate seconds) sends a seeded mix of single predictions,
batch predictions, CRM segment updates and a small share of deliberately bad requests, until
the count or the duration is reached (whichever comes first). It only ever talks to the API and
CRM addresses of the settings, and stops by itself. With `drift` set, the rows of the
predictions are shifted (lab.observability.shift) so the API's drift metrics move.
"""

from __future__ import annotations

import math
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import numpy as np

from lab import data
from lab.observability import shift

KINDS = ("predict", "batch", "crm", "bad")
#: Bad requests the API must answer with a 4xx (and never a 500): (method, path, body).
BAD_REQUESTS: tuple[tuple[str, str, object], ...] = (
    ("POST", "/predict", {"features": [1.0] * (data.N_FEATURES - 1)}),
    ("POST", "/predict", {"features": ["abc"] * data.N_FEATURES}),
    ("POST", "/predict", {}),
    ("POST", "/predict", {"instances": []}),
    ("POST", "/crm_segment_update?customer_id=CUST_NO_SUCH_999", None),
    ("POST", "/crm_segment_update?customer_id=..%2Fetc", None),
)


class LoadError(RuntimeError):
    pass


@dataclass(frozen=True)
class LoadPlan:
    rate: float = 10.0  # requests per second
    duration: float | None = 60.0  # seconds; None: until `count`
    count: int | None = None  # requests; None: until `duration`
    mix: dict[str, float] = field(
        default_factory=lambda: {"predict": 0.6, "batch": 0.15, "crm": 0.2, "bad": 0.05}
    )
    batch_size: int = 5
    seed: int = 42
    timeout: float = 10.0
    drift: tuple[str, ...] = ()  # features whose values are shifted (lab.observability.shift)

    def __post_init__(self) -> None:
        if not 0 < self.rate <= 1000:
            raise ValueError("--rate must be between 0 and 1000 requests per second")
        if self.duration is None and self.count is None:
            raise ValueError("give a --duration or a --count: the generator always stops")
        if self.duration is not None and not 0 < self.duration <= 24 * 3600:
            raise ValueError("--duration must be between 0 and 86400 seconds")
        if self.count is not None and not 0 < self.count <= 10_000_000:
            raise ValueError("--count must be between 1 and 10,000,000")
        if not 1 <= self.batch_size <= 1000:
            raise ValueError("--batch-size must be between 1 and 1000")
        unknown = set(self.mix) - set(KINDS)
        if unknown or any(w < 0 for w in self.mix.values()) or sum(self.mix.values()) <= 0:
            raise ValueError(f"the mix takes non-negative weights for {', '.join(KINDS)}")
        if self.drift:
            shift.check_features(self.drift)

    @property
    def planned(self) -> int | None:
        """How many requests at most (None: as many as fit in the duration)."""
        by_time = _due_before(self.rate, self.duration) if self.duration is not None else None
        options = [n for n in (by_time, self.count) if n is not None]
        return max(1, min(options)) if options else None


def _due_before(rate: float, duration: float) -> int:
    """How many requests are due before `duration` at `rate`: the n with n / rate < duration
    (the test `run` makes), i.e. ceil(rate * duration) corrected for float rounding."""
    n = math.ceil(rate * duration)
    while n > 0 and (n - 1) / rate >= duration:
        n -= 1
    while n / rate < duration:
        n += 1
    return n


@dataclass
class Sent:
    kind: str
    status: int | None  # None: no answer (connection refused, timeout)
    seconds: float
    request_id: str = ""  # the X-Request-ID sent (unique per request)
    customer_id: str | None = None  # a CRM update's customer
    answer: dict | None = None  # a CRM update's JSON answer (what a reliability run checks)


@dataclass
class Summary:
    results: list[Sent] = field(default_factory=list)
    elapsed: float = 0.0
    customers: int = 0
    notices: list[str] = field(default_factory=list)

    def by_kind(self) -> dict[str, Counter]:
        table: dict[str, Counter] = {}
        for r in self.results:
            table.setdefault(r.kind, Counter())[status_class(r.status)] += 1
        return table

    def latency_ms(self, kind: str, q: float) -> float | None:
        values = [r.seconds for r in self.results if r.kind == kind and r.status is not None]
        return float(np.quantile(values, q) * 1000) if values else None

    @property
    def unexpected(self) -> int:
        """Answers that should not happen: no answer, a good request refused, a bad one accepted."""
        return sum(1 for r in self.results if not expected(r))


def status_class(status: int | None) -> str:
    return "no answer" if status is None else f"{status // 100}xx"


def expected(r: Sent) -> bool:
    """A bad request must get a 4xx; every other request a 2xx."""
    if r.status is None:
        return False
    return 400 <= r.status < 500 if r.kind == "bad" else 200 <= r.status < 300


class Generator:
    """Builds the requests of a plan (seeded) and sends them through one HTTP client."""

    def __init__(self, plan: LoadPlan, api_url: str, crm_url: str, api_token: str = ""):
        self.plan = plan
        #: the API wants API_TOKEN for CRM updates when it listens beyond loopback
        self.crm_auth = {"authorization": f"Bearer {api_token}"} if api_token else {}
        self.api_url = api_url.rstrip("/")
        self.crm_url = crm_url.rstrip("/")
        self.rng = random.Random(plan.seed)
        rows = data.generate_features(2_000, plan.seed)
        if plan.drift:
            rows = shift.shift(rows, plan.drift)
        self.rows = rows.round(4).tolist()
        self.customers: list[str] = []

    def check_api(self, client: httpx.Client) -> None:
        try:
            client.get(f"{self.api_url}/health", timeout=self.plan.timeout)
        except httpx.HTTPError as exc:
            raise LoadError(
                f"the API does not answer at {self.api_url} ({type(exc).__name__}): "
                "start it (`lab serve`, or `lab up`) and try again"
            ) from None

    def load_customers(self, client: httpx.Client) -> str | None:
        """Customer ids from the CRM; a notice (and no CRM updates) when it does not answer."""
        try:
            page = client.get(f"{self.crm_url}/customers", params={"limit": 200}).json()
            self.customers = [c["customer_id"] for c in page["items"]]
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            return f"no CRM customers from {self.crm_url} ({type(exc).__name__}): no CRM updates"
        return None if self.customers else "the CRM has no customers: no CRM updates"

    def pick_kind(self) -> str:
        mix = {k: w for k, w in self.plan.mix.items() if k != "crm" or self.customers}
        return self.rng.choices(list(mix), weights=list(mix.values()))[0]

    def request(self, kind: str) -> tuple[str, str, object]:
        if kind == "predict":
            return "POST", "/predict", {"features": self.rng.choice(self.rows)}
        if kind == "batch":
            return (
                "POST",
                "/predict",
                {"instances": self.rng.sample(self.rows, self.plan.batch_size)},
            )
        if kind == "crm":
            return (
                "POST",
                f"/crm_segment_update?customer_id={self.rng.choice(self.customers)}",
                None,
            )
        return self.rng.choice(BAD_REQUESTS)

    def send(self, client: httpx.Client, kind: str) -> Sent:
        method, path, body = self.request(kind)
        request_id = uuid.uuid4().hex  # not seeded: a second run must not reuse the ids
        started = time.perf_counter()
        answer = None
        try:
            headers = {"x-request-id": request_id, **(self.crm_auth if kind == "crm" else {})}
            response = client.request(method, self.api_url + path, json=body, headers=headers)
            status: int | None = response.status_code
            if kind == "crm":
                answer = _json_object(response)
        except httpx.HTTPError:
            status = None
        customer = path.partition("customer_id=")[2] or None if kind == "crm" else None
        return Sent(kind, status, time.perf_counter() - started, request_id, customer, answer)


def _json_object(response: httpx.Response) -> dict | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def run(
    plan: LoadPlan,
    api_url: str,
    crm_url: str,
    *,
    on_sent: Callable[[Sent, float], None] | None = None,
    transport: httpx.BaseTransport | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    api_token: str = "",
) -> Summary:
    """Send the plan's traffic; `on_sent(result, elapsed)` after each request.

    `transport`, `clock` and `sleep` are for tests (fault injection, no real waiting).
    """
    gen = Generator(plan, api_url, crm_url, api_token)
    summary = Summary()
    with httpx.Client(timeout=plan.timeout, transport=transport) as client:
        gen.check_api(client)
        notice = gen.load_customers(client)
        if notice:
            summary.notices.append(notice)
        summary.customers = len(gen.customers)
        start = clock()
        sent = 0
        try:
            while plan.count is None or sent < plan.count:
                due = start + sent / plan.rate
                now = clock()
                if plan.duration is not None and max(now, due) - start >= plan.duration:
                    break
                if due > now:
                    sleep(due - now)
                result = gen.send(client, gen.pick_kind())
                summary.results.append(result)
                sent += 1
                if on_sent:
                    on_sent(result, clock() - start)
        except KeyboardInterrupt:
            summary.notices.append("stopped by Ctrl-C")
        summary.elapsed = clock() - start
    return summary
