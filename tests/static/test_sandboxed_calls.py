"""Every process a check starts is either the project's code, through the sandbox seam
(`lab.acceptance.checks._learner.run_project`, or `lab.sandbox`), or one of the grader's own
tools named here. A new check that runs the project's code with a bare `subprocess.run` would
run a learner's code unsandboxed in `lab grade`: this test names it."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support import REPO

#: (file, function) -> the grader's own program it runs (never the project's code)
GRADERS_OWN = {
    ("lab/acceptance/checks/_learner.py", "run_project"): "the seam itself (no sandbox: lab check)",
    ("lab/acceptance/checks/_priority.py", "run_low"): "the seam's low-priority form",
    ("lab/acceptance/checks/flow.py", "_lab"): "`lab stop|start` (joins the sandbox in lab grade)",
    ("lab/acceptance/checks/project.py", "container_file"): "hadolint",
    ("lab/acceptance/checks/promql.py", "prometheus_rules"): "promtool",
    (
        "lab/acceptance/checks/_scratch_registry.py",
        "_registry",
    ): "the lab's interpreter, -I, MLflow",
    ("lab/acceptance/checks/mlflow_ui.py", "mlflow_ui"): "headless Chromium",
    ("lab/exercises/mutants.py", "run_tests"): "the tests, in the sandbox when lab grade runs",
}
SUBPROCESS = {"run", "Popen", "call", "check_call", "check_output"}


def _starts_a_process(call: ast.Call) -> bool:
    callee = call.func
    if isinstance(callee, ast.Name):
        return callee.id in ("run_low", "Popen")
    if isinstance(callee, ast.Attribute) and isinstance(callee.value, ast.Name):
        module, name = callee.value.id, callee.attr
        return (module == "subprocess" and name in SUBPROCESS) or (
            module == "os" and name.startswith(("system", "exec", "spawn", "posix_spawn"))
        )
    return False


def _calls(path: Path) -> set[tuple[str, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        (path.relative_to(REPO).as_posix(), func.name)
        for func in ast.walk(tree)
        if isinstance(func, ast.FunctionDef)
        for node in ast.walk(func)
        if isinstance(node, ast.Call) and _starts_a_process(node)
    }


def test_every_process_a_check_starts_is_sandboxed_or_the_graders_own():
    files = [*sorted((REPO / "lab" / "acceptance").rglob("*.py")),
             REPO / "lab" / "exercises" / "mutants.py"]  # fmt: skip
    found = set().union(*(_calls(p) for p in files))
    unknown = sorted(found - set(GRADERS_OWN))
    assert not unknown, (
        f"{unknown} start a process: run the project's code through run_project (the sandbox) "
        "or, for a tool of the grader's, name it in GRADERS_OWN"
    )
