"""The Litestar app of `lab home`, built by `create_app(settings)` (never at import time)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Litestar, Request, Response, get, post
from litestar.config.allowed_hosts import AllowedHostsConfig
from litestar.datastructures import State
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import JSONBody, Parameter
from litestar.response import File

from lab.home import assets, guard, processes, tryit
from lab.home.checkjob import Busy, CheckRunner
from lab.home.course import LANGS, Course
from lab.home.dashboard import DashboardUnavailable, query_panels
from lab.home.figures import figure
from lab.home.redact import Redactor
from lab.orchestration import remote
from lab.settings import Settings

SECURITY_HEADERS = {
    # plotly.js sets inline styles; scripts come from this page only
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
#: a path segment: a file, process, action or module name (each is checked where it is used)
Name = Annotated[str, Parameter(max_length=64)]
Lang = Annotated[str, Parameter(description="en or zh-TW")]
End = Annotated[int | None, Parameter(description="Unix time the charts end at (default: now)")]
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
               ".svg": "image/svg+xml"}  # fmt: skip


def _problem(status: int, detail: str) -> HTTPException:
    return HTTPException(status_code=status, detail=detail)


def _lang(lang: str) -> str:
    if lang not in LANGS:
        raise _problem(400, f"lang must be one of {', '.join(LANGS)}")
    return lang


def _ctx(request: Request[Any, Any, State]) -> tuple[Settings, Redactor]:
    return request.app.state["settings"], request.app.state["redactor"]


@get("/", sync_to_thread=False)
def index(request: Request[Any, Any, State]) -> Response[str]:
    settings: Settings = request.app.state["settings"]
    html = (
        request.app.state["templates"]
        .get_template("home.html")
        .render(
            token=request.app.state["token"],
            grafana_url=settings.grafana_url,
        )
    )
    return Response(html, media_type="text/html; charset=utf-8")


@get("/health", sync_to_thread=False)
def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/static/{name:str}", sync_to_thread=False)
def static(name: Name) -> File:
    path = assets.plotly_js() if name == "plotly.min.js" else assets.STATIC / name
    media = MEDIA_TYPES.get(path.suffix)
    if "/" in name or "\\" in name or media is None or not path.is_file():
        raise NotFoundException(f"no file {name}")
    return File(path, media_type=media, content_disposition_type="inline")


@get("/api/lab", sync_to_thread=True)
def lab_state(request: Request[Any, Any, State]) -> dict[str, Any]:
    settings, redactor = _ctx(request)
    data: dict[str, Any] = redactor.deep(processes.snapshot(settings))
    return data


@post("/api/lab/{name:str}/{action:str}", guards=[guard.same_page], sync_to_thread=True)
def lab_action(request: Request[Any, Any, State], name: Name, action: Name) -> dict[str, Any]:
    settings, redactor = _ctx(request)
    try:
        result = processes.act(settings, name, action)
    except processes.ActionRefused as exc:
        raise _problem(409, str(exc)) from None
    except remote.UnknownProcess as exc:
        raise _problem(404, str(exc)) from None
    except (remote.NoLab, TimeoutError) as exc:
        raise _problem(409, str(exc)) from None
    answer = {"ok": result.ok, "message": result.message, "log_tail": result.log_tail}
    out: dict[str, Any] = redactor.deep(answer)
    return out


@get("/api/course", sync_to_thread=True)
def course(request: Request[Any, Any, State], lang: Lang = "en") -> dict[str, Any]:
    _, redactor = _ctx(request)
    summary = request.app.state["course"].summary(_lang(lang))
    summary["check"] = request.app.state["checks"].state()
    data: dict[str, Any] = redactor.deep(summary)
    return data


@get("/api/course/{module:str}/task", sync_to_thread=True)
def task(request: Request[Any, Any, State], module: Name, lang: Lang = "en") -> dict[str, str]:
    from lab.exercises.course import UnknownModule

    try:
        html = request.app.state["course"].task(module, _lang(lang))
    except UnknownModule as exc:
        raise NotFoundException(str(exc)) from None
    return {"module": module, "lang": lang, "html": html}


@post("/api/course/{module:str}/check", guards=[guard.same_page], sync_to_thread=False)
def check_module(request: Request[Any, Any, State], module: Name) -> dict[str, Any]:
    try:
        data: dict[str, Any] = request.app.state["checks"].start(module)
    except ValueError as exc:
        raise _problem(400, str(exc)) from None
    except Busy as exc:
        raise _problem(409, str(exc)) from None
    return data


@get("/api/course/check", sync_to_thread=False)
def check_state(request: Request[Any, Any, State]) -> dict[str, Any]:
    _, redactor = _ctx(request)
    data: dict[str, Any] = redactor.deep({"check": request.app.state["checks"].state()})
    return data


@get("/api/dashboard", sync_to_thread=True)
def dashboard(request: Request[Any, Any, State], end: End = None) -> dict[str, Any]:
    """The panels over the last 15 minutes up to `end` (a Unix time; default now)."""
    settings, _ = _ctx(request)
    now = time.time()
    if end is not None and not now - 7 * 86400 <= end <= now + 60:
        raise _problem(400, "end must be a Unix time within the last 7 days")
    try:
        data = query_panels(settings, end)
    except DashboardUnavailable as exc:
        return {"unavailable": str(exc), "panels": []}
    for panel in data["panels"]:
        panel["figure"] = figure(panel)
    return data


@get("/api/try/fields", sync_to_thread=True)
def try_fields(request: Request[Any, Any, State]) -> dict[str, Any]:
    settings, _ = _ctx(request)
    return {"fields": tryit.feature_fields(settings), "api": settings.api_url}


@post("/api/try/predict", guards=[guard.same_page], sync_to_thread=True)
def try_predict(
    request: Request[Any, Any, State], data: JSONBody[dict[str, Any]]
) -> dict[str, Any]:
    settings, redactor = _ctx(request)
    names = list(tryit.feature_fields(settings))
    if not names:
        raise _problem(503, f"the API at {settings.api_url} does not answer: start it (`lab up`)")
    try:
        values = tryit.row(data, names)
    except tryit.BadInput as exc:
        raise _problem(400, str(exc)) from None
    out: dict[str, Any] = redactor.deep(tryit.predict(settings, values).as_json())
    return out


@post("/api/try/segment", guards=[guard.same_page], sync_to_thread=True)
def try_segment(
    request: Request[Any, Any, State], data: JSONBody[dict[str, Any]]
) -> dict[str, Any]:
    settings, redactor = _ctx(request)
    try:
        answer = tryit.segment_update(settings, str(data.get("customer_id", "")))
    except tryit.BadInput as exc:
        raise _problem(400, str(exc)) from None
    out: dict[str, Any] = redactor.deep(answer.as_json())
    return out


ROUTES = [index, health, static, lab_state, lab_action, course, task, check_module, check_state,
          dashboard, try_fields, try_predict, try_segment]  # fmt: skip


def create_app(settings: Settings, cwd: Path | None = None, token: str | None = None) -> Litestar:
    """The page's app for the lab `settings` describe; `cwd` is the project (a workspace, or
    the reference checkout); `token` the per-run token (a fresh one by default)."""
    cwd = (cwd or Path.cwd()).resolve()
    templates = Environment(
        loader=FileSystemLoader(assets.TEMPLATES), autoescape=select_autoescape(["html"])
    )
    course = Course(settings, cwd)
    state = State({
        "settings": settings,
        "token": token or guard.new_token(),
        "origins": guard.own_origins(settings.HOME_PORT),
        "redactor": Redactor(settings),
        "templates": templates,
        "course": course,
        "checks": CheckRunner(course.root),
    })  # fmt: skip
    return Litestar(
        route_handlers=ROUTES,
        state=state,
        allowed_hosts=AllowedHostsConfig(allowed_hosts=guard.allowed_hosts(settings.HOME_PORT)),
        response_headers=_headers(),
        logging_config=None,
        openapi_config=None,
    )


def _headers() -> list[Any]:
    from litestar.datastructures import ResponseHeader

    return [ResponseHeader(name=k, value=v) for k, v in SECURITY_HEADERS.items()]
