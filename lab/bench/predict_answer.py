"""/predict answered the framework's way or with the hand-written `JSONBytes` (serving/rawjson.py).

A second API runs with PREDICT_JSON_BYTES=true; both are measured in the single-row workload,
interleaved round by round with the other targets, so both see the same machine.
"""

from __future__ import annotations

#: the single-row target of the API that answers with JSONBytes
JSON_BYTES = "lab, JSONBytes"
#: JSONBytes is worth keeping only if it makes /predict this much faster at c=1
KEEP_AT = 1.5


def decision(speedup: float | None) -> str:
    """What the run says about JSONBytes (`speedup`: its req/s ÷ the idiomatic one's, c=1)."""
    if speedup is None:
        return "/predict answer: not measured (a target did not complete)"
    if speedup >= KEEP_AT:
        return (
            f"/predict answer: JSONBytes is {speedup:.2f}× Litestar's own response at c=1 (≥ "
            f"{KEEP_AT}×): worth keeping, behind PREDICT_JSON_BYTES=true"
        )
    return (
        f"/predict answer: JSONBytes is {speedup:.2f}× Litestar's own response at c=1 (< "
        f"{KEEP_AT}×): the idiomatic response is the default and JSONBytes does not earn its "
        "place"
    )
