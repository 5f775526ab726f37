"""M5.rules grades what Prometheus loaded: every alert and recording rule of the project's file
is listed by Prometheus's rules API (`lab up` in a workspace gives it the learner's files), so
a valid file that Prometheus never read does not pass."""

from __future__ import annotations

from pathlib import Path

import yaml

from lab.acceptance.checks._base import CheckContext, CheckFailed
from lab.acceptance.checks._http import get_json


def rule_names(path: Path) -> set[str]:
    """The names of the alert and recording rules of a rules file."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    groups = doc.get("groups") or [] if isinstance(doc, dict) else []
    return {
        str(rule.get("alert") or rule.get("record"))
        for group in groups if isinstance(group, dict)
        for rule in group.get("rules") or [] if isinstance(rule, dict)
        if rule.get("alert") or rule.get("record")
    }  # fmt: skip


def loaded(ctx: CheckContext, path: Path, relative: str) -> str:
    """What Prometheus loaded of `path`; CheckFailed naming the rules it has not."""
    base = ctx.targets.prometheus_url
    if not base:
        return "Prometheus not graded: its loaded rules were not compared"
    wanted = rule_names(path)
    with ctx.client() as client:
        body = get_json(ctx, client, f"{base}/api/v1/rules", "Prometheus rules")
    groups = body.get("data", {}).get("groups", []) if isinstance(body, dict) else []
    have = {str(r.get("name")) for g in groups for r in g.get("rules", [])}
    missing = sorted(wanted - have)
    if missing:
        raise CheckFailed(
            f"Prometheus at {base} has not loaded {', '.join(missing)} of {relative} (it has "
            f"{', '.join(sorted(have)) or 'no rule'})",
            "Prometheus reads your rule files when it starts: `lab restart prometheus` (in your "
            "workspace, `lab up` gives it config/prometheus/*.yml), then check again.",
            "Prometheus 在啟動時讀取你的規則檔：執行 `lab restart prometheus`（在工作區中 `lab up` "
            "會載入 config/prometheus/*.yml），再檢查一次。",
        )
    return f"Prometheus loaded its {len(wanted)} rules"
