"""Every `lab` command starts without numpy (about 0.1 s a start; the suite and `lab up` start
hundreds of them): only the commands that compute with it load it."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.support import REPO


def test_the_command_line_loads_no_numpy() -> None:
    probe = "import json, sys, lab.cli; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout))
    assert "lab.cli.load_cmd" in loaded  # the verbs are registered...
    assert "numpy" not in loaded  # ...without what `lab load` computes with
