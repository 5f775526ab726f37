"""The MLflow UI check: headless Chromium renders the champion version's page (a React app)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from urllib.parse import quote

from pydantic import Field

from lab.acceptance.checks._base import (
    CheckContext,
    CheckFailed,
    CheckSkipped,
    Lane,
    Schedule,
    short,
)
from lab.acceptance.checks._priority import run_low
from lab.acceptance.checks.kinds import CHECK_KINDS
from lab.acceptance.checks.mlflow import RegistryParams, champion, tags_of

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-dev-shm-usage", "--no-first-run"]  # fmt: skip


class UiParams(RegistryParams):
    schedule = Schedule(Lane.ISOLATED, timeout=40.0)
    render_ms: int = Field(8000, ge=500, le=60000)  # virtual time the page gets to render


def browser() -> str | None:
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


@CHECK_KINDS.kind("mlflow_ui", UiParams)
def mlflow_ui(params: UiParams, ctx: CheckContext) -> str:
    """Headless Chromium renders the MLflow UI page of the champion version with its label."""
    exe = browser()
    if exe is None:
        raise CheckSkipped(
            "no Chromium here to render the MLflow UI (install chromium to grade it; "
            "the registry itself is graded by M3.registry)"
        )
    name, version, _ = champion(params, ctx)
    number = str(version.get("version"))
    label = tags_of(version).get(params.label_tag, "")
    url = f"{ctx.targets.mlflow_url}/#/models/{quote(name, safe='')}/versions/{quote(number)}"
    with tempfile.TemporaryDirectory(prefix="lab-check-chromium-") as profile:
        try:
            done = run_low(  # low priority: the training check keeps a core
                [exe, *ARGS, f"--user-data-dir={profile}",
                 f"--virtual-time-budget={params.render_ms}", "--dump-dom", url],
                timeout=max(ctx.timeout - 2, 5),
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise CheckFailed(f"Chromium did not render {url} within {ctx.timeout:g} s") from None
    dom = done.stdout
    if done.returncode != 0 or "<" not in dom:
        raise CheckFailed(f"Chromium could not render {url}: {short(done.stderr, 120)}")
    wanted = [f"Version {number}", name] + ([label] if label else [])
    missing = [w for w in wanted if w not in dom]
    if missing:
        raise CheckFailed(f"the page {url} does not show {', '.join(missing)}")
    return f"{url} shows {', '.join(wanted)}"
