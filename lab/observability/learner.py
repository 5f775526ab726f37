"""A learner's own monitoring: in a workspace, Prometheus loads the learner's alert rules and
Grafana the learner's dashboards, never the lab's (whose rules carry the same alert names, so
M5 would pass on the lab's work).

Rule files that `promtool check rules` rejects are left out, with the reason, so a typo keeps
Prometheus running (M5.rules names the problem); without promtool every file is given to it.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from lab import workspace

#: where a course project keeps its alert rules and its dashboards
RULE_GLOBS = ("config/prometheus/*.yml", "config/prometheus/*.yaml")
DASHBOARDS = "dashboards"


@dataclass(frozen=True)
class LearnerRules:
    loaded: list[Path] = field(default_factory=list)
    left_out: dict[str, str] = field(default_factory=dict)  # file -> what promtool said


def root(start: Path | None = None) -> Path | None:
    """The workspace the lab runs in (its processes start in its folder), else None."""
    try:
        found = workspace.find(start)
    except workspace.WorkspaceError:
        return None
    return found.root if found is not None else None


def rule_files(project: Path, promtool: Path | None) -> LearnerRules:
    """The project's rule files that promtool accepts (all of them without promtool)."""
    result = LearnerRules()
    candidates = sorted({p for g in RULE_GLOBS for p in project.glob(g) if p.is_file()})
    for path in candidates:
        if promtool is not None:
            try:
                done = subprocess.run(
                    [str(promtool), "check", "rules", str(path)],
                    capture_output=True, text=True, timeout=60,
                )  # fmt: skip
            except (OSError, subprocess.TimeoutExpired) as exc:
                result.left_out[path.name] = str(exc)
                continue
            if done.returncode != 0:
                said = (done.stdout + done.stderr).strip().splitlines()
                result.left_out[path.name] = said[-1] if said else f"exit {done.returncode}"
                continue
        result.loaded.append(path.resolve())
    return result


def dashboards_dir(project: Path) -> Path | None:
    """The project's dashboards folder, when it holds a dashboard."""
    folder = project / DASHBOARDS
    return folder.resolve() if any(folder.glob("*.json")) else None
