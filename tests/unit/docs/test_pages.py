"""Every page under docs/ and the README: the commands and URLs it shows exist.

Commands are checked against the click group of `lab.cli.main`, URLs against the OpenAPI
schema of the app they belong to (built in-process by its factory). Pages added later under
docs/ are picked up by the glob. See `scan.py` for what a page "shows".
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lab.cli import main
from lab.settings import Settings
from tests.unit.docs import scan

REPO = Path(__file__).resolve().parents[3]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def build_apps(settings: Settings) -> dict[str, scan.App]:
    """The API as `lab serve` runs it (the composition root, with the CRM flow) and the CRM."""
    from lab.api import create_api
    from lab.crm.app import create_app as create_crm

    apps = {"API": create_api(settings), "CRM": create_crm(settings)}
    return {
        name: scan.app_from_schema(
            name,
            app.openapi_schema.paths or {},
            [(route.path, route.methods) for route in app.routes],
        )
        for name, app in apps.items()
    }


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> dict[int, scan.App]:
    home = tmp_path_factory.mktemp("docs-lab")
    settings = Settings(
        _env_file=None,
        LAB_HOME=home,
        CRM_TOKEN="docs-crm-token-0000",
        ADMIN_TOKEN="docs-admin-token",
    )
    built = build_apps(settings)
    defaults = Settings.model_fields
    return {
        defaults["API_PORT"].default: built["API"],
        defaults["CRM_PORT"].default: built["CRM"],
    }


def page_problems(page: Path, apps_by_port: dict[int, scan.App]) -> list[str]:
    text = page.read_text(encoding="utf-8")
    where = page.relative_to(REPO)
    problems: list[str] = []
    for snippet in scan.snippets(text):
        for args in scan.commands_in(snippet):
            for problem in scan.check_command(args, main):
                problems.append(f"{where}:{snippet.line}: `lab {' '.join(args)}`: {problem}")
        for problem in scan.path_problems(snippet, list(apps_by_port.values())):
            problems.append(f"{where}:{snippet.line}: {problem}")
    for line, url, method in scan.page_urls(text):
        problem = scan.url_problem(url, method, apps_by_port)
        if problem:
            problems.append(f"{where}:{line}: {url}: {problem}")
    for line_number, line in enumerate(text.splitlines(), start=1):
        for target in LINK.findall(line):
            problem = link_problem(page, target)
            if problem:
                problems.append(f"{where}:{line_number}: link to {target}: {problem}")
    return problems


def link_problem(page: Path, target: str) -> str | None:
    """A relative link must name a file that exists, and a `#anchor` in a page one it has."""
    if "://" in target or target.startswith("mailto:"):
        return None
    file, _, anchor = target.partition("#")
    linked = (page.parent / file) if file else page
    if not linked.exists():
        return "no such file"
    if anchor and linked.suffix == ".md" and anchor not in scan.anchors(linked.read_text("utf-8")):
        return f"{linked.name} has no heading or <a id> for #{anchor}"
    return None


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(REPO)) for p in PAGES])
def test_page_shows_only_real_commands_urls_and_links(page: Path, apps) -> None:
    problems = page_problems(page, apps)
    assert not problems, "\n".join(problems)


def test_every_page_is_scanned() -> None:
    """The scanner sees the commands of the README: a regex that found nothing would pass."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    found = [" ".join(a) for s in scan.snippets(text) for a in scan.commands_in(s)]
    assert "up" in found and "test" in found and "check" in found


def test_readme_is_a_way_in() -> None:
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 150, f"README.md has {len(lines)} lines; keep it to 150"
    first_code = [line for line in lines[:30] if line.startswith("bin/lab ")]
    assert first_code[:2] == ["bin/lab up", "bin/lab test"], first_code
    main_marker = lines.index("<!-- main-command -->")
    test_marker = lines.index("<!-- test-command -->")
    assert lines[main_marker + 2] == "bin/lab up"
    assert lines[test_marker + 2] == "bin/lab test"


def test_configuration_page_names_only_real_settings() -> None:
    """Every key in the table of docs/configuration.md is a field of `Settings`."""
    text = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    rows = [line.split("|")[1] for line in text.splitlines() if line.startswith("| `")]
    keys = {key for cell in rows for key in re.findall(r"`([A-Z][A-Z0-9_]+)`", cell)}
    assert keys, "no key table found on docs/configuration.md"
    unknown = sorted(keys - set(Settings.model_fields))
    assert not unknown, f"docs/configuration.md names keys Settings does not have: {unknown}"
