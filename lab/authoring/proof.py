"""`lab course verify`'s proof of the hidden part: the solution's own tests catch every hidden
mutant (a hidden mutant they miss would grade learners on a bug the course never tests)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from lab.exercises import course, mutants


def hidden_mutants_missed(of: course.Course, python: str, timeout: float = 300) -> list[str]:
    """One line per hidden mutant the solution's tests do not catch (empty: all caught)."""
    hidden = mutants.hidden(of)
    if not hidden:
        return []
    with tempfile.TemporaryDirectory(prefix="lab-hidden-proof-") as tmp:
        root = Path(tmp)
        for rel, text in mutants.solved_project(of).items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text, encoding="utf-8")
        base = mutants.baseline(root, python, timeout, of)
        if not base.passed:
            return [f"hidden mutants: the solution's tests fail on the solution ({base.summary})"]
        results = mutants.run(root, python, timeout, of=of, which=hidden)
    return [
        f"hidden mutant {r.name} ({r.what}): the solution's tests do not catch it"
        + (" (out of time)" if r.timed_out else "")
        for r in results
        if not r.caught
    ]
