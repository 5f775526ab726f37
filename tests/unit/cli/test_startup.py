"""Every `lab` command starts without numpy (about 0.1 s a start; the suite and `lab up` start
hundreds of them): only the commands that compute with it load it."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.support import REPO


def _loaded(probe: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", f"import json, sys, click, lab.cli\n{probe}\n"
         "print(json.dumps(sorted(sys.modules)))"],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout))


def test_the_command_line_loads_no_numpy() -> None:
    every = "ctx = click.Context(lab.cli.main)\n" + (
        "cmds = [lab.cli.main.get_command(ctx, n) for n in lab.cli.main.list_commands(ctx)]"
    )
    loaded = _loaded(every)
    assert "lab.cli.load_cmd" in loaded  # every verb loaded...
    assert "numpy" not in loaded  # ...without what `lab load` computes with


def test_a_verb_is_imported_only_when_it_runs() -> None:
    loaded = _loaded("lab.cli.main.get_command(click.Context(lab.cli.main), 'init')")
    assert "lab.cli.setup_cmd" in loaded
    assert not {"lab.cli.load_cmd", "lab.cli.check_cmd", "lab.acceptance"} & loaded
