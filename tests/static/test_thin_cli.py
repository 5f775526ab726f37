"""lab/cli parses, calls one function and prints: no module in it holds a control loop, a retry,
a subprocess call or an HTTP client (those live in the packages below, where they are tested).

Iterating to print rows is fine; a `while` loop (polling, retrying), `time.sleep`, and imports of
subprocess, HTTP clients or sockets are not.
"""

from __future__ import annotations

import ast

from tests.support import REPO

CLI = REPO / "lab" / "cli"
FORBIDDEN_MODULES = {
    "subprocess", "httpx", "requests", "urllib.request", "http.client", "socket", "tenacity",
    "aiohttp", "asyncio.subprocess",
}  # fmt: skip


def violations(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.While):
            found.append(f"{line}: a while loop (a poll or retry belongs in a package)")
        elif isinstance(node, ast.Import):
            found += [f"{line}: import {a.name}" for a in node.names if a.name in FORBIDDEN_MODULES]
        elif isinstance(node, ast.ImportFrom) and node.module in FORBIDDEN_MODULES:
            found.append(f"{line}: from {node.module} import ...")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "sleep"
        ):
            found.append(f"{line}: a sleep (waiting belongs in a package)")
    return found


def test_no_cli_module_holds_a_loop_a_subprocess_or_an_http_client() -> None:
    found = {
        path.name: v for path in sorted(CLI.glob("*.py")) if (v := violations(path.read_text()))
    }
    assert found == {}


def test_the_check_can_fail() -> None:
    sample = "import subprocess\nimport time\nwhile True:\n    time.sleep(1)\n"
    assert [v.split(":")[1].strip() for v in violations(sample)] == [
        "import subprocess", "a while loop (a poll or retry belongs in a package)",
        "a sleep (waiting belongs in a package)",
    ]  # fmt: skip
