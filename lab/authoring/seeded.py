"""Hidden checks with inputs seeded per learner: two learners' answers differ.

A hidden rubric (the instructor's, never the learner's) may write `$seed.customer` (a customer
id of the CRM's synthetic ones), `$seed.calls` (a number of calls, 3-12) or `$seed.row` (ten
feature values) where a check takes that input. `lab grade` renders the file for each learner,
in the grader's own folder, from a seed of the learner's id and the file's own text (so the
values are stable from one grading to the next, and cannot be known without the file).
"""

from __future__ import annotations

import hashlib
import random
import re
from pathlib import Path

from lab.files import write_atomic

TOKEN = re.compile(r"\$seed\.(customer|calls|row)\b")
#: feature ranges of a plausible row (FEATURE_NAMES order; the CRM's own customers' ranges)
RANGES = ((1, 60), (20, 150), (0, 6), (0, 30), (0, 60), (1, 24), (0, 3), (1, 4), (2, 40), (1, 5))


def values(learner_id: str, salt: str) -> dict[str, str]:
    """The seeded inputs of one learner, as YAML text."""
    digest = hashlib.sha256(f"{salt}\0{learner_id}".encode()).digest()
    rng = random.Random(int.from_bytes(digest[:8], "big"))
    row = [round(rng.uniform(lo, hi), 1) for lo, hi in RANGES]
    return {
        "customer": f"CUST_{rng.randint(1, 200):06d}",  # the CRM seeds 1000 synthetic ones
        "calls": str(rng.randint(3, 12)),
        "row": "[" + ", ".join(f"{v:g}" for v in row) + "]",
    }


def render_text(text: str, learner_id: str) -> str:
    seeds = values(learner_id, hashlib.sha256(text.encode()).hexdigest())
    return TOKEN.sub(lambda m: seeds[m[1]], text)


def render(path: Path, learner_id: str, dest: Path) -> Path:
    """`path` as graded for `learner_id`: itself when it seeds nothing, else written to `dest`."""
    text = path.read_text(encoding="utf-8")
    if not TOKEN.search(text):
        return path
    write_atomic(dest, render_text(text, learner_id))
    return dest
