"""Waiting for a child's HTTP answer: a 2xx from the named process, or its exit with its log
tail (`wait_http`), and the same for several URLs under one deadline (`wait_each`)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from lab.procs.group import Child


class NotReady(RuntimeError):
    """A child that exited, or gave no 2xx in time; the message ends with its log's tail."""


@dataclass(frozen=True)
class Answer:
    """What `wait_http` saw: `ok` is a 2xx (any status with `any_status`) from the named
    process."""

    url: str
    ok: bool
    seconds: float
    status: int | None = None  # the last HTTP status seen (None: nothing answered)
    exit_code: int | None = None  # the child's, when it exited while waited for
    why: str = ""  # why not ok, with the child's log tail

    def check(self) -> Answer:
        """This answer, or `NotReady` with the reason when it is not ok."""
        if not self.ok:
            raise NotReady(self.why)
        return self


def wait_http(
    url: str, timeout: float, child: Child | None = None, *, interval: float = 0.25,
    request_timeout: float = 2.0, any_status: bool = False,
) -> Answer:  # fmt: skip
    """Wait until `url` answers 2xx (any HTTP status with `any_status`); with `child`, the
    answer must come from it (it or a process it started listens on the URL's port) and its
    exit ends the wait (its log tail says why). At least one request is made."""
    import httpx  # here: a wrapper such as `lab prometheus` imports this module and waits on none

    started = time.monotonic()
    port = _port(url)
    status: int | None = None
    other = False
    while True:
        if child is not None and child.exit_code() is not None:
            code = child.exit_code()
            return Answer(url, False, time.monotonic() - started, status, code,
                          f"{child.name} exited with code {code}:\n{child.tail()}")  # fmt: skip
        try:
            status = httpx.get(url, timeout=request_timeout).status_code
        except httpx.HTTPError:
            status = None
        if status is not None and (any_status or 200 <= status < 300):
            other = child is not None and child.listens_on(port) is False
            if not other:
                return Answer(url, True, time.monotonic() - started, status)
        elapsed = time.monotonic() - started
        if elapsed >= timeout:
            break
        time.sleep(min(interval, max(timeout - elapsed, 0.0)))
    name = child.name if child is not None else url
    if other:
        seen = f"port {port} is answered by another process, not by {name}"
    else:
        seen = "no answer" if status is None else f"last status {status}"
    wanted = "answer" if any_status else "2xx"
    why = f"{name} gave no {wanted} at {url} within {timeout:g} s ({seen})"
    return Answer(url, False, time.monotonic() - started, status, None,
                  why + (f":\n{child.tail()}" if child is not None else ""))  # fmt: skip


def _port(url: str) -> int:
    parts = urlsplit(url)
    return parts.port or (443 if parts.scheme == "https" else 80)


def wait_each(
    urls: Mapping[str, str], timeout: float, child: Child | None = None, *,
    interval: float = 0.25, any_status: bool = False,
) -> dict[str, Answer]:  # fmt: skip
    """`wait_http` on each URL in turn, all within `timeout` (one try each once it has run
    out), until `child` exits; name -> its answer (a URL not reached after an exit: none)."""
    deadline = time.monotonic() + timeout
    answers: dict[str, Answer] = {}
    for name, url in urls.items():
        left = max(deadline - time.monotonic(), 0.0)
        answers[name] = answer = wait_http(
            url, left, child, interval=interval, any_status=any_status
        )
        if answer.exit_code is not None:
            break
    return answers
