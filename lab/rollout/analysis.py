"""Compare the challenger with the champion on live Prometheus data and give a verdict."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import httpx
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lab import metric_names as m

Verdict = Literal["pass", "fail", "wait"]


class Thresholds(BaseModel):
    model_config = ConfigDict(extra="forbid")

    window: str = Field("2m", pattern=r"^\d+[smh]$")
    min_requests: int = Field(100, ge=1)
    max_error_ratio_delta: float = Field(0.01, ge=0)
    max_p95_latency_ratio: float = Field(1.5, gt=0)
    min_p95_latency_slack_seconds: float = Field(0.005, ge=0)
    max_churn_rate_delta: float = Field(0.15, ge=0, le=1)

    @classmethod
    def load(cls, path: Path) -> Thresholds:
        try:
            return cls.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
        except (OSError, yaml.YAMLError) as exc:
            raise ValueError(f"{path}: {exc}") from None
        except ValidationError as exc:
            first = exc.errors()[0]
            key = ".".join(map(str, first["loc"]))
            raise ValueError(f"{path}: {key}: {first['msg']}") from None


@dataclass(frozen=True)
class VersionStats:
    version: str
    requests: float
    error_ratio: float
    p95_latency: float
    churn_rate: float


@dataclass
class Analysis:
    champion: VersionStats
    challenger: VersionStats
    verdict: Verdict
    reasons: list[str] = field(default_factory=list)


def queries(window: str) -> dict[str, str]:
    """PromQL per statistic, each `by (model_version)` (the serving app's metrics).

    Errors are the server's failures (outcome `error` or `unavailable`): bad input (`invalid`)
    is the caller's mistake, spread over both versions by the split, and would only add noise
    to the comparison (the same rule as `lab:prediction_error_ratio:rate5m`).
    """
    w = window
    ok, invalid = m.PREDICTION_OK, m.PREDICTION_CLIENT_ERROR
    return {
        "requests": f"sum by (model_version) (increase({m.PREDICTIONS}[{w}]))",
        "errors": (
            f'sum by (model_version) (increase({m.PREDICTIONS}{{outcome!~"{ok}|{invalid}"}}[{w}]))'
        ),
        "p95_latency": (
            f"histogram_quantile(0.95, sum by (model_version, le) (rate({m.LATENCY}_bucket[{w}])))"
        ),
        "churned": f"sum by (model_version) (increase({m.PREDICTED_CHURN}[{w}]))",
        "predicted": f"sum by (model_version) (increase({m.PREDICTED_ROWS}[{w}]))",
    }


def _query(client: httpx.Client, prometheus_url: str, expr: str) -> dict[str, float]:
    response = client.get(f"{prometheus_url}/api/v1/query", params={"query": expr})
    response.raise_for_status()
    body = response.json()
    if body.get("status") != "success":
        raise RuntimeError(f"Prometheus refused {expr!r}: {body.get('error')}")
    out: dict[str, float] = {}
    for item in body["data"]["result"]:
        version = item["metric"].get("model_version", "")
        value = float(item["value"][1])
        out[version] = 0.0 if math.isnan(value) else value
    return out


def collect(prometheus_url: str, versions: tuple[str, str], window: str) -> list[VersionStats]:
    with httpx.Client(timeout=10) as client:
        raw = {name: _query(client, prometheus_url, q) for name, q in queries(window).items()}
    stats = []
    for v in versions:
        requests = raw["requests"].get(v, 0.0)
        predicted = raw["predicted"].get(v, 0.0)
        stats.append(
            VersionStats(
                version=v,
                requests=requests,
                error_ratio=raw["errors"].get(v, 0.0) / requests if requests else 0.0,
                p95_latency=raw["p95_latency"].get(v, 0.0),
                churn_rate=raw["churned"].get(v, 0.0) / predicted if predicted else 0.0,
            )
        )
    return stats


def judge(champion: VersionStats, challenger: VersionStats, t: Thresholds) -> Analysis:
    """The verdict: `wait` with too few requests, else `pass` only if every check passes."""
    short = [s.version for s in (champion, challenger) if s.requests < t.min_requests]
    if short:
        reason = f"fewer than {t.min_requests} requests in {t.window} for {', '.join(short)}"
        return Analysis(champion, challenger, "wait", [reason])
    reasons = []
    if challenger.error_ratio > champion.error_ratio + t.max_error_ratio_delta:
        reasons.append(
            f"error ratio {challenger.error_ratio:.2%} > champion's "
            f"{champion.error_ratio:.2%} + {t.max_error_ratio_delta:.2%}"
        )
    latency_limit = max(
        champion.p95_latency * t.max_p95_latency_ratio,
        champion.p95_latency + t.min_p95_latency_slack_seconds,
    )
    if challenger.p95_latency > latency_limit:
        reasons.append(
            f"p95 latency {challenger.p95_latency * 1000:.1f} ms > limit "
            f"{latency_limit * 1000:.1f} ms (champion {champion.p95_latency * 1000:.1f} ms)"
        )
    delta = abs(challenger.churn_rate - champion.churn_rate)
    if delta > t.max_churn_rate_delta:
        reasons.append(
            f"churn rate {challenger.churn_rate:.1%} differs from champion's "
            f"{champion.churn_rate:.1%} by {delta:.1%} > {t.max_churn_rate_delta:.1%}"
        )
    return Analysis(champion, challenger, "fail" if reasons else "pass", reasons)


def analyze(
    prometheus_url: str, champion: str, challenger: str, thresholds: Thresholds
) -> Analysis:
    champ, chall = collect(prometheus_url, (champion, challenger), thresholds.window)
    return judge(champ, chall, thresholds)
