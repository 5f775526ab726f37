"""Which model answers a request: the champion, or the challenger for a share of the traffic.

- With a customer id the choice is sticky: the id (salted with the challenger's label) is hashed
  to a point in [0, 1) and the challenger answers when the point is below the share. The same
  customer always meets the same model during one rollout, every worker agrees without talking
  to the others, raising the share only moves customers from the champion to the challenger, and
  each new challenger is tried on a different slice of customers.
- Without an id the choice is random (a fresh draw per request).

The share starts at CHALLENGER_SHARE and is changed by `POST /admin/split`. With several uvicorn
workers the worker that gets the call writes the share to `split.json` in the workers' shared
folder (PROMETHEUS_MULTIPROC_DIR, fresh at every start); the others read it at their next poll,
and a worker that starts later (uvicorn starts workers in parallel and replaces a hung one) reads
it before it serves, so it never answers with a share the admin has already changed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

from lab.files import write_atomic
from lab.serving.loading import now_iso

#: Who set the share: the CHALLENGER_SHARE setting, POST /admin/split, or the registry's tag.
SetBy = Literal["setting", "admin", "registry"]

log = logging.getLogger("lab.serving.split")
_SCALE = float(1 << 64)
SHARED_FILE = "split.json"


def sticky_point(key: str, salt: str) -> float:
    """A stable point in [0, 1) for `key`: the same on every worker, run and platform."""
    digest = hashlib.blake2b(f"{salt}\x1f{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / _SCALE


@dataclass(frozen=True)
class SplitState:
    share: float
    set_by: SetBy  # "setting" (CHALLENGER_SHARE), "registry" (the model's tag) or "admin"
    set_at: str


class TrafficSplit:
    """The challenger's share of traffic and the per-request choice."""

    def __init__(
        self,
        share: float,
        shared_dir: Path | None = None,
        draw: Callable[[], float] | None = None,
    ):
        _check(share)
        self._state = SplitState(share, "setting", now_iso())
        self._share = share
        self._draw = draw or random.random
        self._file = shared_dir / SHARED_FILE if shared_dir is not None else None
        self._seen: bytes | None = None  # the shared file as we last wrote or read it
        self.sync()  # a worker started after POST /admin/split begins with that split

    @property
    def share(self) -> float:
        return self._share

    @property
    def state(self) -> SplitState:
        return self._state

    def to_challenger(self, key: str | None, salt: str) -> bool:
        """Whether this request goes to the challenger (hot path: no I/O, no allocation)."""
        share = self._share
        if share <= 0.0:
            return False
        if share >= 1.0:
            return True
        if key is None:
            return self._draw() < share
        return sticky_point(key, salt) < share

    def set(self, share: float, set_by: SetBy = "admin") -> SplitState:
        """Change the share now (and tell the other workers through the shared file).

        The file is written first: when it cannot be (OSError), nothing changes on any worker.
        """
        _check(share)
        state = SplitState(share, set_by, now_iso())
        if self._file is not None:
            payload = json.dumps(vars(state)).encode()
            write_atomic(self._file, payload)
            self._seen = payload
        self._apply(state)
        return self._state

    def sync(self) -> bool:
        """Pick up a split another worker set; True when the share changed.

        The file (under 200 bytes) is read at every poll and compared whole: its mtime would miss
        a second write within the file system's timestamp tick.
        """
        if self._file is None:
            return False
        try:
            raw = self._file.read_bytes()
        except OSError:  # not written yet (or unreadable): keep the split we have
            return False
        if raw == self._seen:
            return False
        self._seen = raw
        with contextlib.suppress(ValueError, TypeError, KeyError):
            found = json.loads(raw)
            state = SplitState(
                float(found["share"]), cast(SetBy, str(found["set_by"])), str(found["set_at"])
            )
            _check(state.share)
            if state != self._state:
                changed = state.share != self._share
                self._apply(state)
                return changed
        return False

    def _apply(self, state: SplitState) -> None:
        if state.share != self._share:
            log.info(
                "traffic split changed",
                extra={"challenger_share": state.share, "previous": self._share,
                       "set_by": state.set_by},
            )  # fmt: skip
        self._state, self._share = state, state.share


def _check(share: float) -> None:
    if not 0.0 <= share <= 1.0:  # False for NaN too
        raise ValueError(f"the challenger share must be between 0 and 1, got {share!r}")
