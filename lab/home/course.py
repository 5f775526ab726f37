"""Part 2 of the page, the course: modules with progress and badges, tasks, the latest check.

In a learner's workspace (a `workspace.toml` above the working folder) it shows that workspace:
its modules, its `.lab/progress.json`, its task texts. In the reference checkout it shows the
reference lab. Results are the ones `lab check` wrote (LAB_HOME/reports/check.json).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import anybadge
import yaml
from markdown_it import MarkdownIt

from lab import workspace
from lab.exercises import course as course_data
from lab.exercises import progress
from lab.exercises.badges import colour
from lab.settings import Settings

LANGS = ("en", "zh-TW")


def markdown_html(text: str) -> str:
    """Markdown as HTML; raw HTML in the source is shown as text, never run."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
    return md.render(text)


def task_path(of: course_data.Course, module: str, lang: str, root: Path | None) -> Path:
    """The task text: the workspace's copy when it has one, else the course's."""
    shipped = of.task_file(module, lang)
    if root is not None:
        local = root / "tasks" / shipped.name
        if local.is_file():
            return local
    return shipped


def task_html(of: course_data.Course, module: str, lang: str, root: Path | None) -> str:
    path = task_path(of, module, lang, root)
    if lang != "en" and not path.is_file():
        path = task_path(of, module, "en", root)
    return markdown_html(path.read_text(encoding="utf-8"))


def badge_uri(label: str, value: str, color: str) -> str:
    svg = anybadge.Badge(label=label, value=value, default_color=color).badge_svg_text
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


class Course:
    """What the page shows of the course, for one project (a workspace, or the reference)."""

    def __init__(self, settings: Settings, cwd: Path) -> None:
        self.settings = settings
        self.workspace = workspace.find(cwd)
        self.root = self.workspace.root if self.workspace is not None else cwd
        self.course = course_data.load(settings.LAB_COURSE)  # CourseError: said by `lab home`
        self.rubric_path = settings.LAB_CONFIG_DIR / "rubric.yml"
        self._rubric: dict[str, list[dict[str, str]]] | None = None

    def rubric(self) -> dict[str, list[dict[str, str]]]:
        """Module id -> its criteria (id, title, title_zh_tw), read from the rubric `lab check`
        grades with (LAB_CONFIG_DIR/rubric.yml). Only read here, never judged: `lab check`
        validates it (and loading its validator would double the page's memory)."""
        if self._rubric is None:
            try:
                doc = yaml.safe_load(self.rubric_path.read_text(encoding="utf-8"))
                self._rubric = {
                    str(m["id"]): [
                        {k: str(c.get(k, "")) for k in ("id", "title", "title_zh_tw")}
                        for c in m.get("criteria") or []
                    ]
                    for m in doc.get("modules") or []
                }
            except (OSError, yaml.YAMLError, AttributeError, KeyError, TypeError):
                return {}
        return self._rubric

    def latest_check(self) -> dict[str, Any]:
        try:
            data = json.loads((self.settings.reports_dir / "check.json").read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def task(self, module: str, lang: str) -> str:
        """The task of `module` as HTML (UnknownModule when the course has none)."""
        return task_html(self.course, module, lang, self.root if self.workspace else None)

    def describe(self) -> str:
        if self.workspace is None:
            return f"the reference lab ({self.root})"
        return f"your workspace {self.root} (modules {', '.join(self.workspace.modules)})"

    def summary(self, lang: str) -> dict[str, Any]:
        """Every module: title, progress, badge, and its criteria with the latest results."""
        zh = lang == "zh-TW"
        check = self.latest_check()
        results = {c["id"]: c for m in check.get("modules", []) for c in m.get("criteria", [])}
        record = progress.read(self.root) if self.workspace is not None else {}
        for cid, c in results.items():
            record.setdefault(cid, {})["last_status"] = c.get("status")
        rubric = self.rubric()
        modules = []
        for ex in self.course.modules:
            rows = rubric.get(ex.id, [])
            ids = [c["id"] for c in rows]
            state = progress.module_status(record, ex.id, ids)
            title = ex.title_zh_tw if zh else ex.title
            criteria = []
            for c in rows:
                got = results.get(c["id"], {})
                last = record.get(c["id"], {}).get("last_status")
                status = got.get("status") or last or "unchecked"
                hint = (got.get("hint_zh_tw") if zh else None) or got.get("hint") or ""
                criteria.append({
                    "id": c["id"],
                    "title": (c["title_zh_tw"] if zh else "") or c["title"],
                    "status": status,
                    "observed": got.get("observed", ""),
                    "hint": hint if status not in ("pass", "unchecked") else "",
                })  # fmt: skip
            modules.append({
                "id": ex.id,
                "title": title,
                "in_workspace": self.workspace is None or ex.id in self.workspace.modules,
                "passed": state.passed,
                "total": state.total,
                "label": state.label,
                "badge": badge_uri(f"{ex.id} {ex.title}", state.label, colour(state)),
                "criteria": criteria,
            })  # fmt: skip
        return {
            "project": self.describe(),
            "workspace": self.workspace is not None,
            "checked_at": check.get("finished_at", ""),
            "modules": modules,
        }
