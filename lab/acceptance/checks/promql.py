"""Checks that grade monitoring through Prometheus itself: the API is a target that is up, the
dashboard's PromQL works (Grafana not needed), and the alert rules pass promtool."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field

from lab.acceptance.checks._base import (
    CheckContext,
    CheckError,
    CheckFailed,
    Lane,
    Outcome,
    Params,
    Schedule,
    Status,
    short,
)
from lab.acceptance.checks._http import call, error_text, get_json, json_of
from lab.acceptance.checks.kinds import CHECK_KINDS
from lab.acceptance.checks.monitoring import _prometheus_version, dashboard_file
from lab.acceptance.checks.rules_loaded import loaded

LOCAL = {"127.0.0.1", "localhost", "::1", "[::1]", "0.0.0.0"}


#: How long a Prometheus whose targets do not name the API is asked again (it may have just
#: started, before its service discovery ran) before the check fails.
UNLISTED_SECONDS = 3.0


#: Scrapes of the API made after the check began that may lack the counted series before it
#: fails: the checks that call /predict run in the first second, so by the second such scrape
#: (a scrape interval later) the counter has moved if it ever will.
FRESH_SCRAPES = 2


class TargetParams(Params):
    # it reads Prometheus only, and mostly waits for the next scrape
    schedule = Schedule(Lane.CONCURRENT, timeout=30.0)
    query: str = "prediction_requests_total"
    poll_seconds: float = Field(1.0, gt=0, le=10)


def _same_address(a: str, b: str) -> bool:
    x, y = urlsplit(a), urlsplit(b)
    hosts = {x.hostname or "", y.hostname or ""}
    return x.port == y.port and (len(hosts) == 1 or hosts <= LOCAL)


def _from_target(series: Any, target: dict[str, Any]) -> bool:
    """The series was scraped from this target (its job and instance labels are the target's)
    and has counted something: a counter declared but never increased is not the API's count."""
    labels = target.get("labels") or {}
    metric = series.get("metric", {}) if isinstance(series, dict) else {}
    try:
        counted = float(series["value"][1]) > 0
    except (KeyError, IndexError, TypeError, ValueError):
        return False
    return counted and all(metric.get(k) == labels[k] for k in ("job", "instance") if k in labels)


@CHECK_KINDS.kind("prometheus_target", TargetParams)
def prometheus_target(params: TargetParams, ctx: CheckContext) -> Outcome:
    """Prometheus scrapes the API (an active target at its address, health up) and answers the
    counter (polled until the timeout)."""
    base = ctx.targets.prometheus_url
    deadline = time.monotonic() + max(ctx.timeout - params.poll_seconds - 1, 0)
    first_scrape: dict[str, Any] = {}  # scrapeUrl -> its lastScrape when first seen
    fresh: set[Any] = set()  # the API's scrapes made since this check began, without the series
    unlisted_deadline = time.monotonic() + UNLISTED_SECONDS
    asked = 0  # a Prometheus that does not list the API is asked at least twice, however slow
    with ctx.client() as client:
        while True:
            asked += 1
            body = get_json(ctx, client, f"{base}/api/v1/targets", "Prometheus targets")
            active = (
                (body.get("data") or {}).get("activeTargets", []) if isinstance(body, dict) else []
            )
            api = [
                t for t in active if _same_address(str(t.get("scrapeUrl", "")), ctx.targets.api_url)
            ]
            # Only a scrape made after this check began counts: the health and the series of an
            # earlier scrape may belong to another API that used the same address before.
            for t in api:
                first_scrape.setdefault(str(t.get("scrapeUrl")), t.get("lastScrape"))
            up = [
                t
                for t in api
                if t.get("health") == "up"
                and (
                    t.get("lastScrape") is None
                    or t.get("lastScrape") != first_scrape[str(t.get("scrapeUrl"))]
                )
            ]
            series = []
            if up:
                answer = get_json(
                    ctx, client, f"{base}/api/v1/query", "Prometheus query",
                    params={"query": params.query},
                )  # fmt: skip
                # Only the graded API's own series: one Prometheus may scrape other APIs too.
                series = [
                    s
                    for s in (answer.get("data") or {}).get("result", [])
                    if _from_target(s, up[0])
                ]
            if series or time.monotonic() >= deadline:
                break
            fresh |= {t.get("lastScrape") for t in up}
            if len(fresh) >= FRESH_SCRAPES:
                break  # scraped again and again since the checks sent their requests: not there
            if not api and asked >= 2 and time.monotonic() >= unlisted_deadline:
                break  # its targets come from its configuration: the API will not turn up
            time.sleep(params.poll_seconds)
        facts = _prometheus_version(client, base)
    if not api:
        scraped = ", ".join(str(t.get("scrapeUrl")) for t in active) or "nothing"
        raise CheckFailed(
            f"Prometheus does not scrape the API at {ctx.targets.api_url} (it scrapes {scraped})"
        )
    if not up and any(t.get("health") == "up" for t in api):
        raise CheckFailed(
            f"Prometheus did not scrape the API at {ctx.targets.api_url} again within "
            f"{ctx.timeout:g} s (its scrape interval is longer than the check's time budget)"
        )
    if not up:
        t = api[0]
        raise CheckFailed(
            f"Prometheus's target {t.get('scrapeUrl')} is {t.get('health')}: "
            f"{short(str(t.get('lastError')))}"
        )
    if not series:
        raise CheckFailed(
            f"the API target is up but Prometheus has no series for {params.query!r} "
            + (
                f"in {len(fresh)} scrapes since the check's requests"
                if fresh
                else f"after {ctx.timeout:g} s"
            )
            + " (it counts nothing, or not with this name)"
        )
    up_target = up[0]
    return Outcome(
        Status.PASS,
        f"target {up_target.get('scrapeUrl')} up (job {up_target.get('labels', {}).get('job')}); "
        f"{len(series)} series for {params.query}",
        facts,
    )


# -- the dashboard's PromQL --------------------------------------------------------------------

GRAFANA_RANGES = {"$__rate_interval": "1m", "${__rate_interval}": "1m", "$__interval": "1m",
                  "${__interval}": "1m", "$__range": "5m", "${__range}": "5m"}  # fmt: skip
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless",
            "bool", "offset", "inf", "nan", "le"}  # fmt: skip


def panel_queries(panels: list[Any]) -> list[tuple[str, str]]:
    """(panel title, PromQL) of every query, rows' nested panels included."""
    found = []
    for panel in panels or []:
        if not isinstance(panel, dict):
            continue
        found += panel_queries(panel.get("panels", []))
        for target in panel.get("targets", []) or []:
            if isinstance(target, dict) and target.get("expr"):
                found.append((str(panel.get("title", "")), str(target["expr"])))
    return found


def grafana_free(expr: str) -> str:
    """The expression with Grafana's variables replaced by what Prometheus accepts."""
    for var, value in GRAFANA_RANGES.items():
        expr = expr.replace(var, value)
    expr = re.sub(r'(\w+)\s*=~?\s*"\$\{?\w+\}?"', r'\1=~".*"', expr)
    return re.sub(r"\$\{?\w+\}?", ".*", expr)


def metric_names(expr: str) -> set[str]:
    """The metric names an expression reads (identifiers outside strings, braces and brackets,
    not functions or keywords)."""
    bare = re.sub(r'"[^"]*"|\{[^}]*\}|\[[^\]]*\]', " ", expr)
    bare = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", bare)
    names = re.findall(r"(?<![\w.])([A-Za-z_:][\w:]*)\b(?!\s*\()", bare)
    return {n for n in names if n.lower() not in KEYWORDS}


def declared_metrics(ctx: CheckContext) -> set[str]:
    """Names the API's /metrics declares (a labelled metric with no samples yet included)."""
    with ctx.client() as client:
        response = call(ctx, client, "GET", f"{ctx.targets.api_url}/metrics")
    names: set[str] = set()
    for line in response.text.splitlines() if response.status_code == 200 else []:
        match = re.match(r"# TYPE (\S+) (\w+)", line)
        if match:
            name, kind = match.groups()
            names.add(name)
            if kind == "histogram":
                names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
            if kind == "counter" and not name.endswith("_total"):
                names.add(f"{name}_total")
    return names


@CHECK_KINDS.kind("dashboard_queries")
def dashboard_queries(_params: Params, ctx: CheckContext) -> str:
    """Every PromQL query of the project's dashboard runs in Prometheus and reads metrics that
    exist (in Prometheus, or declared by the API): the dashboard graded without Grafana."""
    relative = dashboard_file(ctx, None)
    try:
        doc = json.loads(ctx.project_file(relative).read_text(encoding="utf-8"))
    except ValueError as exc:
        raise CheckFailed(f"{relative} is not valid JSON: {short(str(exc))}") from None
    doc = doc.get("dashboard", doc) if isinstance(doc, dict) else {}
    queries = panel_queries(doc.get("panels", []))
    if not queries:
        raise CheckFailed(f"{relative} has no PromQL queries")
    base = ctx.targets.prometheus_url
    with ctx.client() as client:
        known_body = get_json(
            ctx, client, f"{base}/api/v1/label/__name__/values", "Prometheus names"
        )
        known = set(known_body.get("data") or []) | declared_metrics(ctx)
        with_data = 0
        for title, expr in queries:
            response = call(
                ctx, client, "GET", f"{base}/api/v1/query", params={"query": grafana_free(expr)}
            )
            if response.status_code == 400:
                raise CheckFailed(
                    f"panel {title!r}: Prometheus rejects {short(expr, 80)}: "
                    f"{error_text(response, 100)}"
                )
            result = (json_of(response, f"panel {title!r}").get("data") or {}).get("result", [])
            if result:
                with_data += 1
                continue
            unknown = sorted(metric_names(expr) - known)
            if unknown:
                raise CheckFailed(
                    f"panel {title!r} reads {', '.join(unknown)}, which neither Prometheus "
                    "nor the API's /metrics has"
                )
    return (
        f"{len(queries)} queries of {relative} run; {with_data} return series, the rest read "
        "known metrics with no data yet"
    )


class RulesParams(Params):
    schedule = Schedule(Lane.ISOLATED, timeout=20.0)
    paths: list[str] = Field(
        default_factory=lambda: [
            "config/prometheus/rules.yml",
            "rules.yml",
            "config/prometheus/*.rules.yml",
        ]
    )


@CHECK_KINDS.kind("prometheus_rules", RulesParams)
def prometheus_rules(params: RulesParams, ctx: CheckContext) -> str:
    """The project's alert rules pass `promtool check rules`."""
    path = ctx.first_file(*params.paths)
    if path is None:
        raise CheckFailed(f"no alert rules file in {ctx.project_dir} ({', '.join(params.paths)})")
    tool = shutil.which("promtool") or next(
        (str(p) for p in (ctx.settings.tools_dir.glob("prometheus*/promtool"))), None
    )
    if tool is None:
        raise CheckError(
            "promtool is not installed where the grader runs "
            "(`lab fetch prometheus`, or apt install prometheus)"
        )
    try:
        done = subprocess.run(
            [tool, "check", "rules", str(path)], capture_output=True, text=True, timeout=ctx.timeout
        )
    except subprocess.TimeoutExpired:
        raise CheckError(f"promtool took longer than {ctx.timeout:g} s") from None
    said = (done.stdout + done.stderr).strip().splitlines()
    rel = path.relative_to(ctx.project_dir).as_posix()
    if done.returncode != 0:
        bad = [ln for ln in said if "FAILED" in ln or "err" in ln.lower()] or said
        raise CheckFailed(f"promtool check rules {rel}: {short(' '.join(bad[-2:]), 160)}")
    counted = re.search(r"(\d+) rules found", " ".join(said))
    if counted and int(counted.group(1)) == 0:
        raise CheckFailed(f"promtool check rules {rel}: the file is valid but holds no rule")
    return f"promtool check rules {rel}: {short(said[-1] if said else 'ok', 80)}; " + loaded(
        ctx, path, rel
    )
