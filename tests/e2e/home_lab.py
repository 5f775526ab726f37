"""A real `lab up` for the `lab home` browser tests, shared by all the tests of one module.

The page's screenshots go to the artifact folder: LAB_TEST_ARTIFACTS, else build/artifacts/
(git-ignored), in `home/`.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from lab.services import PORT_KEYS
from tests.support import REPO, LabProcess, free_ports, lab_env, require_tool, wait_until

#: No Grafana here (it cannot be installed on the lab's CI machines): the five that run.
RUNNING = ("mlflow", "crm", "api", "prometheus", "home")

#: In the page: how Han characters of `selector`'s text render in its font. A glyph the fonts
#: lack is drawn as the same "missing glyph" box (or nothing) whatever the character, exactly as
#: a private-use character is: `tofu` counts those.
GLYPHS_JS = """([selector, sample]) => {
  const node = document.querySelector(selector);
  const font = getComputedStyle(node).fontFamily;
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 48;
  const g = canvas.getContext("2d");
  const draw = (ch) => {
    g.clearRect(0, 0, 48, 48);
    g.font = `32px ${font}`;
    g.fillText(ch, 4, 36);
    return Array.from(g.getImageData(0, 0, 48, 48).data).join(",");
  };
  const missing = draw("\\uE000");
  const text = sample || node.innerText;
  const wanted = (ch) => /\\p{Script=Han}/u.test(ch) || /[\\uE000-\\uF8FF]/.test(ch);
  const chars = [...new Set([...text].filter(wanted))].slice(0, 40);
  const images = chars.map(draw);
  return {chars: chars.length, tofu: images.filter((i) => i === missing).length,
          distinct: new Set(images).size};
}"""


def artifacts() -> Path:
    folder = Path(os.environ.get("LAB_TEST_ARTIFACTS") or REPO / "build" / "artifacts") / "home"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass
class Lab:
    folder: Path
    env: dict[str, str]
    up: LabProcess

    def url(self, key: str) -> str:
        return f"http://127.0.0.1:{self.env[key]}"

    @property
    def home(self) -> str:
        return self.url("HOME_PORT")

    def record(self) -> dict:
        return json.loads((Path(self.env["LAB_HOME"]) / "run" / "lab.json").read_text("utf-8"))

    def lab(self, *args: str, timeout: float = 120, ok: tuple[int, ...] = (0,)) -> str:
        import subprocess
        import sys

        command = [sys.executable, "-m", "lab", *args]
        done = subprocess.run(command, env=self.env, cwd=self.folder, capture_output=True,
                              text=True, timeout=timeout)  # fmt: skip
        assert done.returncode in ok, done.stdout + done.stderr
        return done.stdout


def all_healthy(lab: Lab) -> bool:
    try:
        states = {n: p["state"] for n, p in lab.record()["processes"].items()}
    except (OSError, ValueError, KeyError):
        return False
    return all(states.get(n) == "healthy" for n in RUNNING)


@contextmanager
def running_lab(folder: Path, **values: object) -> Iterator[Lab]:
    """`lab up` in `folder` (no Grafana on PATH), every port free, until the block ends."""
    require_tool("prometheus", "apt install prometheus")
    require_tool("chromium", "apt-get install -y chromium")
    ports = dict(zip(PORT_KEYS, free_ports(len(PORT_KEYS)), strict=True))
    path = os.pathsep.join(
        p
        for p in os.environ.get("PATH", "").split(os.pathsep)
        if not (Path(p) / "grafana").exists()
    )
    env = lab_env(folder / ".lab", **{**ports, "PATH": path, **values})
    env["LAB_ENV_FILE"] = str(folder / ".env")
    started = time.monotonic()
    up = LabProcess(["up", "--quiet"], env, folder / "up.log", cwd=folder)
    lab = Lab(folder, env, up)
    try:
        wait_until(lambda: all_healthy(lab), 240, "every process of `lab up` healthy", watch=up)
        print(f"\nlab up -> healthy (home included): {time.monotonic() - started:.1f} s")
        yield lab
    finally:
        up.stop()


def answers(url: str) -> bool:
    return httpx.get(url, timeout=5).status_code == 200
