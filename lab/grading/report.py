"""The class report: report.html + report.csv for the instructor, lms.csv for the grade book.

Built from the evidence files alone (one per learner), so a single run and `lab grade merge` of
shards write the same report. It shows each criterion's pass rate and the most common thing
observed when it failed, the distribution of scores, and who is stuck where (each learner's
first module not fully earned).
"""

from __future__ import annotations

import csv
import html
import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

MODULES = ("M1", "M2", "M3", "M4", "M5", "M6")
BUCKETS = 10  # score distribution: tenths of the graded maximum


@dataclass
class CriterionStats:
    id: str
    module: str
    title: str
    graded: int = 0
    passed: int = 0
    failures: Counter[str] = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return round(100.0 * self.passed / self.graded, 1) if self.graded else 0.0

    def common_failure(self) -> str:
        if not self.failures:
            return ""
        text, count = self.failures.most_common(1)[0]
        return f"{text} ({count}×)"


def _chosen(evidence: dict[str, Any]) -> dict[str, Any] | None:
    return next((a["result"] for a in evidence["attempts"] if a["chosen"] and a["result"]), None)


def criteria_stats(evidences: Sequence[dict[str, Any]]) -> list[CriterionStats]:
    stats: dict[str, CriterionStats] = {}
    for evidence in evidences:
        result = _chosen(evidence)
        for module in result["modules"] if result else []:
            for c in module["criteria"]:
                s = stats.setdefault(c["id"], CriterionStats(c["id"], module["id"], c["title"]))
                if c["status"] in ("pass", "fail"):
                    s.graded += 1
                    s.passed += c["status"] == "pass"
                if c["status"] == "fail":
                    s.failures[str(c.get("observed") or "")[:120]] += 1
    return list(stats.values())


def stuck_at(evidence: dict[str, Any]) -> str:
    """The learner's first module not fully earned ("" when all are; "not graded" without a
    result)."""
    result = _chosen(evidence)
    if result is None:
        return "not graded"
    for module in result["modules"]:
        if module["points"] < module["max_points"]:
            return str(module["id"])
    return ""


def distribution(rows: Sequence[dict[str, str]]) -> list[int]:
    """How many learners scored in each tenth of their graded maximum."""
    counts = [0] * BUCKETS
    for row in rows:
        top = float(row.get("graded_max") or 0)
        if top <= 0:
            continue
        share = min(float(row["total"]) / top, 1.0)
        counts[min(int(share * BUCKETS), BUCKETS - 1)] += 1
    return counts


def report_csv(stats: Sequence[CriterionStats]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["criterion", "module", "title", "graded", "passed", "pass_rate",
                     "most_common_failure"])  # fmt: skip
    for s in stats:
        writer.writerow([s.id, s.module, s.title, s.graded, s.passed, f"{s.rate:g}",
                         s.common_failure()])  # fmt: skip
    return buffer.getvalue()


def lms_csv(rows: Sequence[dict[str, str]], modules: Sequence[str] = MODULES) -> str:
    """One row a learner: id first, one column per module, the total (an LMS imports it)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=("id", *modules, "total"), lineterminator="\n",
                            extrasaction="ignore")  # fmt: skip
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def report_html(
    rows: Sequence[dict[str, str]], evidences: Sequence[dict[str, Any]],
    stats: Sequence[CriterionStats],
) -> str:  # fmt: skip
    e = html.escape
    criteria = "".join(
        f"<tr><td>{e(s.id)}</td><td>{e(s.title)}</td><td>{s.passed}/{s.graded}</td>"
        f'<td><meter min="0" max="100" value="{s.rate:g}"></meter> {s.rate:g}%</td>'
        f"<td>{e(s.common_failure())}</td></tr>"
        for s in stats
    )
    counts = distribution(rows)
    most = max(counts) or 1
    bars = "".join(
        f"<tr><td>{10 * i}–{10 * (i + 1)}%</td><td>"
        f'<span style="display:inline-block;background:#4c7;height:1em;width:{20 * n // most}em">'
        f"</span> {n}</td></tr>"
        for i, n in enumerate(counts)
    )
    stuck: dict[str, list[str]] = {}
    for ev in evidences:
        stuck.setdefault(stuck_at(ev) or "all modules earned", []).append(ev["id"])
    where = "".join(
        f"<tr><td>{e(k)}</td><td>{len(v)}</td><td>{e(', '.join(v))}</td></tr>"
        for k, v in sorted(stuck.items())
    )
    statuses = Counter(r["status"] for r in rows)
    summary = ", ".join(f"{n} {e(k)}" for k, n in sorted(statuses.items()))
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Class report</title><style>body{font-family:sans-serif;margin:2rem}"
        "table{border-collapse:collapse;margin-bottom:2rem}td,th{border:1px solid #ccc;"
        "padding:.25rem .5rem;text-align:left}</style></head><body>"
        f"<h1>Class report</h1><p>{len(rows)} learners: {summary}</p>"
        "<h2>Criteria</h2><table><tr><th>criterion</th><th>title</th><th>passed</th>"
        f"<th>pass rate</th><th>most common failure</th></tr>{criteria}</table>"
        "<h2>Scores (share of each learner's graded maximum)</h2>"
        f"<table><tr><th>score</th><th>learners</th></tr>{bars}</table>"
        "<h2>Who is stuck where (first module not fully earned)</h2>"
        f"<table><tr><th>module</th><th>learners</th><th>who</th></tr>{where}</table>"
        "</body></html>\n"
    )
