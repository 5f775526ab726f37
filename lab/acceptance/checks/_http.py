"""HTTP helpers for checks: one request, and the answer turned into a clear pass or fail.

A failure carries a hint that matches what was seen: nothing listening names the command that
starts the lab's own service, a 404 says the route is missing, a 5xx shows the body's first line.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import httpx

from lab.acceptance.checks._base import (
    CheckContext,
    CheckFailed,
    CheckSkipped,
    describe_http_error,
    short,
)
from lab.net import UNREACHABLE

#: Targets field -> (Procfile process, the verb that runs it alone)
SERVICES = {
    "api_url": ("api", "lab serve"),
    "crm_url": ("crm", "lab crm"),
    "mlflow_url": ("mlflow", "lab mlflow"),
    "prometheus_url": ("prometheus", "lab prometheus"),
    "grafana_url": ("grafana", "lab grafana"),
}


def service_of(ctx: CheckContext, url: str) -> tuple[str, str]:
    """(process name, its verb) of the target `url` belongs to (by scheme, host and port)."""
    where = urlsplit(url)
    for field, names in SERVICES.items():
        base = urlsplit(getattr(ctx.targets, field))
        if (base.scheme, base.netloc) == (where.scheme, where.netloc):
            return names
    return ("", "")


def refused(ctx: CheckContext, url: str) -> CheckFailed:
    base = "{0.scheme}://{0.netloc}".format(urlsplit(url))
    name, verb = service_of(ctx, url)
    if name and ctx.workspace is not None and name in ctx.workspace.learner_processes:
        # the learner's process: the lab's own verb (`lab serve`) would run the reference
        hint = (
            f"Nothing listens at {base}: your {name} runs with `lab up` (alone: "
            f"`lab start {name}`; its command is workspace.toml's [processes] {name})."
        )
        zh = (
            f"{base} 沒有服務在監聽：你的 {name} 由 `lab up` 啟動（只啟動它：`lab start {name}`；"
            f"其指令是 workspace.toml 的 [processes] {name}）。"
        )
    elif name:
        hint = (
            f"Nothing listens at {base}: start the lab with `lab up` (this service alone: "
            f"`lab start {name}`, or `{verb}` in a terminal), or give its address."
        )
        zh = (
            f"{base} 沒有服務在監聽：用 `lab up` 啟動實驗室（只啟動此服務：`lab start {name}`，"
            f"或在終端機執行 `{verb}`），或提供它的位址。"
        )
    else:
        hint, zh = f"Nothing listens at {base}: start that service.", f"{base} 沒有服務在監聽。"
    return CheckFailed(f"{UNREACHABLE}{url}: nothing listens there", hint, zh)


def call(
    ctx: CheckContext, client: httpx.Client, method: str, url: str, **kwargs: Any
) -> httpx.Response:
    """Send one request; a transport failure becomes `CheckFailed` naming the URL."""
    if not urlsplit(url).scheme:  # its service has no URL in this run (`--no-service`)
        raise CheckSkipped("not graded: no URL was given for this service")
    try:
        return client.request(method, url, **kwargs)
    except httpx.ConnectError:
        raise refused(ctx, url) from None
    except httpx.HTTPError as exc:
        raise CheckFailed(describe_http_error(exc, url, ctx.timeout)) from None


def first_line(response: httpx.Response) -> str:
    lines = [line for line in response.text.splitlines() if line.strip()]
    return short(lines[0], 140) if lines else "(empty body)"


def body_summary(response: httpx.Response) -> str:
    """A problem body's `detail`, else the body's first line."""
    try:
        is_json = isinstance(response.json(), dict)
    except ValueError:
        is_json = False
    return error_text(response) if is_json else first_line(response)


def server_error_hint(code: int) -> tuple[str, str]:
    """(hint, zh-TW hint) for a 5xx answer."""
    return (
        f"The server failed on this request (HTTP {code}); its log (`lab logs api`) has the "
        "traceback. Catch the error and answer a 4xx (bad input) or 503 (a dependency is down) "
        "with a message.",
        f"伺服器處理此請求失敗（HTTP {code}）；它的日誌（`lab logs api`）有完整追蹤。"
        "請攔截錯誤，輸入錯誤時回 4xx、相依服務停止時回 503，並附說明。",
    )


def unexpected(response: httpx.Response, what: str) -> CheckFailed:
    """The failure for an answer that is not the expected success, with a matching hint."""
    request = response.request
    path = urlsplit(str(request.url)).path
    code = response.status_code
    said = f"{what}: {request.method} {request.url} answered HTTP {code}"
    if code == 404:
        return CheckFailed(
            f"{said}: the route {path} is missing",
            f"{request.method} {path} answered 404: the route is missing. Add it to the app "
            "(check its path and method), or point the check at the right address.",
            f"{request.method} {path} 回 404：路由不存在。請在應用程式中加上它（確認路徑與方法），"
            "或讓檢查指向正確的位址。",
        )
    if code == 501:  # a part the learner has not written yet: its TODO, not a crash
        return todo_failure(said, response)
    if code >= 500:
        return CheckFailed(f"{said}: {body_summary(response)}", *server_error_hint(code))
    return CheckFailed(f"{said}: {error_text(response)}")


_CRITERION = re.compile(r"^(?P<cid>[A-Za-z][A-Za-z0-9_]*\.[a-z0-9_]+):")
_AT = re.compile(r"the TODO at (?P<at>[^\s()]+:\d+)")


def todo_failure(said: str, response: httpx.Response) -> CheckFailed:
    """A 501: the part of the exercise not written yet, with its file:line when the app says it."""
    detail = error_text(response, limit=1000)
    match, found = _CRITERION.match(detail), _AT.search(detail)
    if match is None:
        return CheckFailed(
            f"{said}: not implemented yet: {short(detail, 140)}",
            "This part is not written yet: write the TODO the answer names (`lab hint ID`).",
            "這部分尚未完成：請完成回應中指出的 TODO（`lab hint ID`）。",
        )
    cid, at = match["cid"], found["at"] if found else None
    where = f" at {at}" if at else ""
    return CheckFailed(
        f"{said}: {cid} is not written yet: the TODO{where}",
        f"Write the TODO{where} ({cid}, see tasks/{cid.split('.')[0]}.md): replace its "
        f"`raise NotImplementedError(...)` with your code; `lab hint {cid}` helps.",
        f"請完成{where.replace(' at ', ' ')}的 TODO（{cid}，見 tasks/{cid.split('.')[0]}.md）："
        f"把 `raise NotImplementedError(...)` 換成你的程式碼；`lab hint {cid}` 提供提示。",
    )


def json_of(response: httpx.Response, what: str) -> Any:
    """The JSON body of a 2xx answer; anything else becomes `CheckFailed`."""
    url = str(response.request.url)
    if not response.is_success:
        raise unexpected(response, what)
    try:
        return response.json()
    except ValueError:
        raise CheckFailed(
            f"{what}: {url} answered HTTP {response.status_code} but not JSON: "
            f"{short(response.text, 80)}"
        ) from None


def error_text(response: httpx.Response, limit: int = 140) -> str:
    """What an error answer says: a problem-details `detail`/`title`, a `message`, or its text."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("detail", "message", "title", "error"):
            if isinstance(body.get(key), str) and body[key]:
                return short(body[key], limit)
    return short(response.text, limit) or "(empty body)"


def get_json(ctx: CheckContext, client: httpx.Client, url: str, what: str, **kwargs: Any) -> Any:
    return json_of(call(ctx, client, "GET", url, **kwargs), what)
