"""`lab home` in a learner's M4 workspace: "check this module" grades M4 from the page, the
learner fills the TODOs, restarts the API and checks again from the page (no terminal)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.exercises import source
from tests.e2e.home_lab import Lab, all_healthy, artifacts, running_lab
from tests.support import lab_env, wait_until

pytestmark = pytest.mark.e2e
SOLVED = ("M1", "M2", "M3", "M4")


@pytest.fixture(scope="module")
def workspace_lab(tmp_path_factory) -> Iterator[Lab]:
    ws = tmp_path_factory.mktemp("home-ws") / "ws"
    made = subprocess.run([sys.executable, "-m", "lab", "exercise", "start", "M4", "--dir",
                           str(ws)], env=lab_env(ws / ".lab"), capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert made.returncode == 0, made.stdout + made.stderr
    with running_lab(ws) as running:
        yield running


def _fill_the_todos(ws: Path) -> list[str]:
    """What the learner writes: M4's marked parts, as the solution has them."""
    filled = []
    for rel, text in source.project_files().items():
        if any(r.module == "M4" for r in source.regions(rel, text)):
            (ws / rel).write_text(source.render(rel, text, SOLVED), encoding="utf-8")
            filled.append(rel)
    return filled


def _statuses(page) -> dict[str, str]:
    rows = page.locator("#criteria tbody tr")
    return {rows.nth(i).get_attribute("data-criterion"): rows.nth(i).get_attribute("data-status")
            for i in range(rows.count())}  # fmt: skip


def _check_from_the_page(page) -> dict[str, str]:
    page.click("#check-module")
    page.wait_for_selector('#check-status[data-running="true"]')
    page.wait_for_selector('#check-status[data-running="false"]', timeout=240_000)
    page.wait_for_function("() => window.labCourse && window.labCourse.check"
                           " && !window.labCourse.check.running")  # fmt: skip
    return _statuses(page)


def test_check_this_module_turns_m4_from_failed_to_passed(page, workspace_lab: Lab) -> None:
    lab = workspace_lab
    page.goto(lab.home + "/")
    page.wait_for_selector('#task[data-module="M4"]')  # the workspace's module comes first
    assert "workspace" in page.locator("#course-project").inner_text()
    assert page.locator("#check-module").inner_text().endswith("(M4)")

    before = _check_from_the_page(page)
    assert before and all(cid.startswith("M4.") for cid in before), before
    assert "fail" in before.values(), before
    failing = page.locator('#criteria tr[data-status="fail"]').first
    assert failing.locator("td").nth(2).inner_text().strip(), "a failure shows what was seen"
    assert failing.locator("td").nth(3).inner_text().strip(), "a failure shows a hint"

    assert _fill_the_todos(lab.folder)
    pid = lab.record()["processes"]["api"]["pid"]
    page.click('#processes tr[data-process="api"] button[data-action="restart"]')
    page.wait_for_function(
        "old => { const r = document.querySelector('#processes tr[data-process=\"api\"]');"
        " return r && r.dataset.state === 'healthy' && r.dataset.pid !== String(old); }",
        arg=pid,
        timeout=120_000,
    )
    # the first check stopped and restarted the CRM (M4.crm_down): every process healthy again
    wait_until(lambda: all_healthy(lab), 120, "every process healthy before checking again")
    after = _check_from_the_page(page)
    assert set(after) == set(before)
    observed = page.evaluate("window.labCourse.modules.find(m => m.id === 'M4').criteria"
                             ".map(c => `${c.id} ${c.status}: ${c.observed}`)")  # fmt: skip
    assert set(after.values()) == {"pass"}, observed
    badge = page.locator('#modules button[data-module="M4"] img').get_attribute("alt")
    assert badge == "M4: done"
    page.locator("#course").screenshot(path=artifacts() / "home-en-course-workspace.png")
