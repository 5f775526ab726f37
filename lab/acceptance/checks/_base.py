"""What every check shares: its outcome, the context it runs in, and the table of kinds."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

import httpx
from pydantic import BaseModel, ConfigDict

from lab.acceptance.checks.facts import Facts
from lab.sandbox import Sandbox
from lab.settings import Settings
from lab.workspace import Workspace


class Status(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"
    ERROR = "error"  # the grading environment could not run the check (time budget, tool missing)


@dataclass(frozen=True)
class Outcome:
    """How one criterion ended: its status and, in one or two lines, what was observed."""

    status: Status
    observed: str
    facts: dict[str, str] = field(default_factory=dict)  # e.g. a server's version
    hint: str | None = None  # a hint matching what was observed (replaces the rubric's)
    hint_zh_tw: str | None = None


class CheckFailed(Exception):
    """The check ran and the service does not meet the criterion; the message says what it saw.

    `hint`/`hint_zh_tw`, when given, replace the rubric's hint: they match what was observed
    (e.g. a 404 says the route is missing, a refused connection which command starts the service).
    """

    def __init__(self, message: str, hint: str | None = None, hint_zh_tw: str | None = None):
        super().__init__(message)
        self.hint, self.hint_zh_tw = hint, hint_zh_tw


class CheckError(Exception):
    """The grading environment cannot run the check (a tool is missing, no interpreter for the
    project...); the message says how to fix the grading environment. Earns nothing; not a fail."""


class CheckSkipped(Exception):
    """The check cannot run here (e.g. Grafana is not running); the message says why."""


@dataclass(frozen=True)
class Targets:
    """The live URLs a check run grades (defaults from settings, each overridable)."""

    api_url: str
    crm_url: str
    mlflow_url: str
    prometheus_url: str
    grafana_url: str

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: str | None) -> Targets:
        values = {
            "api_url": settings.api_url,
            "crm_url": settings.crm_url,
            "mlflow_url": settings.tracking_uri,
            "prometheus_url": settings.prometheus_url,
            "grafana_url": settings.grafana_url,
        }
        # None: the default; "": a service this run does not grade (its checks are skipped)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**{k: v.rstrip("/") for k, v in values.items()})


class KeptPasses(Protocol):
    """Where passes of `reusable` kinds are kept between runs (lab.acceptance.reuse.Store)."""

    def get(self, key: str) -> dict[str, Any] | None: ...

    def put(self, key: str, observed: str) -> None: ...


@dataclass
class CheckContext:
    """Everything a check may look at. `facts` holds the answers the criteria of one run share."""

    settings: Settings
    targets: Targets
    project_dir: Path
    env_file: Path
    run_tests: bool = True
    timeout: float = 10.0
    #: secrets go to URLs settings do not name too (`--send-credentials`; checks.credentials)
    send_credentials: bool = False
    facts: Facts = field(default_factory=Facts)
    #: the project's interpreter (None: none found; `python_note` says why / where it came from)
    python: Path | None = None
    python_note: str = ""
    #: the project's workspace when it holds workspace.toml
    workspace: Workspace | None = None
    #: whether checks may stop and start the lab's processes (the local lab only)
    fault_checks: bool = False
    fault_note: str = ""
    #: how to run the lab's CLI for process control (`... stop crm`)
    lab_command: tuple[str, ...] = ()
    #: the API's log file, when known (else the local lab's logs under LAB_HOME/run)
    api_log: Path | None = None
    #: where passes of `reusable` kinds are kept (lab.acceptance.reuse.Store; None: run them)
    reuse: KeptPasses | None = None
    #: `lab grade`'s sandbox for the project's own code (lab.sandbox.Sandbox; None: `lab
    #: check` on the learner's machine). Set, the checks grade as `lab grade` does.
    sandbox: Sandbox | None = None

    def client(self) -> httpx.Client:
        """An HTTP client whose every request gives up after this criterion's timeout."""
        return httpx.Client(timeout=httpx.Timeout(self.timeout), follow_redirects=False)

    def project_file(self, relative: str) -> Path:
        return self.project_dir / Path(relative)

    def first_file(self, *candidates: str) -> Path | None:
        """The first of `candidates` (relative to the project; globs allowed) that is a file."""
        for relative in candidates:
            for path in sorted(self.project_dir.glob(relative)):
                if path.is_file():
                    return path
        return None

    def interpreter(self) -> Path:
        """The project's interpreter, or `CheckError` (a workspace: `CheckFailed`) saying how to
        name one."""
        if self.python is None and self.workspace is not None:
            # a workspace's interpreter is the learner's to name (M1): not the grader's fault
            raise CheckFailed(
                f"no interpreter for the workspace {self.project_dir}: {self.python_note}"
            )
        if self.python is None:
            raise CheckError(
                f"no interpreter for the project {self.project_dir}: "
                f"{self.python_note or 'none found'} (create its .venv or pass --python PATH)"
            )
        return self.python


def training_command(ctx: CheckContext) -> str:
    """How the graded project trains, for a message: the lab's `lab train` outside a workspace,
    the learner's own command inside one (never the lab's, which would write the same file)."""
    if ctx.workspace is None:
        return "`lab train`"
    own = ctx.workspace.commands.get("train") or "python -m training.train"
    return f"your training (`{own}`)"


class Lane(enum.StrEnum):
    """Where a kind's criteria run in a `lab check` run (lab.acceptance.runner)."""

    #: one at a time, in rubric order (they call the API, count its requests, stop the CRM)
    LIVE = "live"
    #: touch no live service (files, the project's interpreter, tools): started first in a
    #: pool beside the live ones, so a slow one does not hold up the run
    ISOLATED = "isolated"
    #: only read a live service and change nothing the others see (e.g. waiting for
    #: Prometheus's next scrape): started before the isolated ones; a live criterion after one
    #: in the rubric waits for it
    CONCURRENT = "concurrent"


@dataclass(frozen=True)
class Schedule:
    """How a check kind is scheduled: its lane, its time budget, whether a pass is kept."""

    lane: Lane = Lane.LIVE
    #: seconds a criterion of this kind may take (a criterion's `timeout:` wins)
    timeout: float = 10.0
    #: its pass depends only on the project's files and its interpreter's venv: `lab check`
    #: reports it again while neither changed (lab.acceptance.reuse)
    reusable: bool = False
    #: why the kind grades exercise workspaces only (None: every project). Outside a workspace
    #: its criteria are left out of the run (results `not_applicable`): they neither run nor
    #: count in the maximum, so a project they cannot apply to loses nothing
    workspace_only: str | None = None

    @property
    def early(self) -> bool:
        """Started before the live criteria, beside them."""
        return self.lane is not Lane.LIVE

    def timeout_for(self, given: float | None) -> float:
        """A criterion's time budget: its own `timeout:` when given, else the kind's."""
        return given or self.timeout


class Params(BaseModel):
    """A check kind's parameters in rubric.yml (beside `kind`); unknown keys are an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    #: how the kind is scheduled (lane, time budget, reuse, workspaces only)
    schedule: ClassVar[Schedule] = Schedule()


CheckFunction = Callable[[Any, CheckContext], Outcome | str]


@dataclass(frozen=True)
class CheckKind:
    name: str
    params: type[Params]
    run: CheckFunction
    summary: str


class CheckKinds:
    """The check kinds rubric.yml may name, each with its parameter model."""

    def __init__(self) -> None:
        self._kinds: dict[str, CheckKind] = {}

    def kind(self, name: str, params: type[Params] = Params) -> Callable[[CheckFunction], Any]:
        def decorate(func: CheckFunction) -> CheckFunction:
            if name in self._kinds:
                raise ValueError(f"check kind {name!r} registered twice")
            summary = (func.__doc__ or "").strip().splitlines()[0] if func.__doc__ else name
            self._kinds[name] = CheckKind(name, params, func, summary)
            return func

        return decorate

    def get(self, name: str) -> CheckKind | None:
        return self._kinds.get(name)

    def names(self) -> list[str]:
        return sorted(self._kinds)

    def __iter__(self) -> Iterator[CheckKind]:
        return iter(self._kinds.values())


def describe_http_error(exc: httpx.HTTPError, url: str, timeout: float) -> str:
    """One line a learner understands for a transport failure."""
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect to {url} (is it running?)"
    if isinstance(exc, httpx.TimeoutException):
        return f"{url} did not answer within {timeout:g} s"
    return f"{url}: {type(exc).__name__}: {exc}"


def short(text: str, limit: int = 160) -> str:
    """`text` on one line, cut to `limit` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
