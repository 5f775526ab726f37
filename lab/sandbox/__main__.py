"""`python -I -m lab.sandbox SPEC_JSON -- CMD...`: run CMD in the sandbox SPEC_JSON describes.

The grader's `lab check` controls a learner's lab (`lab stop crm` for a fault check) through
this: with `join_pid` set, CMD joins that sandbox's PID namespace, so it sees the PIDs the
sandboxed `lab up` recorded. The exit code is CMD's; its output is passed through.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from lab.sandbox import EXTRA_KEYS, Sandbox


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print("usage: python -m lab.sandbox SPEC_JSON -- CMD...", file=sys.stderr)
        return 2
    sandbox = Sandbox.from_json(Path(argv[0]).read_text(encoding="utf-8"))
    extra = {k: v for k, v in os.environ.items() if EXTRA_KEYS.match(k)}  # its lab's settings
    prepared = sandbox.prepare(argv[2:], cwd=sandbox.tree, env=extra)
    try:
        return subprocess.run(
            prepared.argv, env=prepared.env, pass_fds=prepared.pass_fds, stdin=subprocess.DEVNULL,
            check=False,
        ).returncode  # fmt: skip
    finally:
        for fd in prepared.pass_fds:
            os.close(fd)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
