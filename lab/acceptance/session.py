"""`lab check` as a library session: typed options, the context they give, their argv, the exit.

`CheckOptions` is everything a `lab check` run is asked for. The CLI builds one from its flags;
the grader and `lab exercise verify` build one and run `options.command()` (the same run in a
child process: `to_argv()` is the one place the flags are spelled). `open_session` loads the
rubric, resolves the project graded and builds the `CheckContext` (the fault-check policy
included); `exit_code` turns a run's counts into the exit code every caller reads.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab.acceptance.checks import CheckContext, Targets
from lab.acceptance.extra import with_extra
from lab.acceptance.graded import GradedProject, project_settings, resolve
from lab.acceptance.reuse import Store
from lab.acceptance.rubric import Rubric, load_rubric
from lab.sandbox import Sandbox
from lab.services import GRADED
from lab.settings import Settings

__all__ = [
    "EXIT_BAD_RUBRIC",
    "EXIT_ERRORED",
    "EXIT_FAILED",
    "EXIT_PASSED",
    "EXIT_SKIPPED",
    "GRADED_CODES",
    "SERVICES",
    "CheckOptions",
    "Session",
    "UnknownModule",
    "exit_code",
    "module_ids",
    "open_session",
]

EXIT_PASSED = 0  # every criterion passed
EXIT_FAILED = 1  # at least one failed
EXIT_BAD_RUBRIC = 2  # the rubric or an option is wrong
EXIT_SKIPPED = 3  # none failed, some were skipped
EXIT_ERRORED = 4  # none failed, some could not run (the grading environment)
#: the exit codes of a run that graded (a result was written)
GRADED_CODES = frozenset({EXIT_PASSED, EXIT_FAILED, EXIT_SKIPPED, EXIT_ERRORED})
#: the services `lab check` grades, each by its URL (Targets: `<name>_url`)
SERVICES = GRADED


class UnknownModule(ValueError):
    """A module the rubric does not have; the message names the ones it has."""


REMOTE_NOTE = "a service URL was given: fault checks run on the local lab only"


@dataclass(frozen=True)
class CheckOptions:
    """What one `lab check` run is asked for (None: the default the CLI documents)."""

    modules: tuple[str, ...] = ()
    #: service -> the URL graded in place of the settings' (e.g. {"api": "http://10.0.0.7:8000"})
    urls: Mapping[str, str] = field(default_factory=dict)
    #: services not graded at all (their criteria are skipped)
    not_graded: tuple[str, ...] = ()
    json_path: str | None = None  # "-": stdout
    badges_dir: Path | None = None
    html_path: Path | None = None
    run_tests: bool = True
    fresh: bool = False
    rubric: Path | None = None
    extra_rubric: Path | None = None
    project_dir: Path | None = None
    python: Path | None = None
    fault_checks: bool | None = None  # None: on for the local lab, off when a URL is given
    api_log: Path | None = None
    send_credentials: bool = False
    lang: str | None = None
    fmt: str = "table"
    #: the project's running lab's LAB_HOME (its model file, its logs); None: the project's own
    lab_home: Path | None = None
    #: `lab grade` only: the learner's sandbox (a lab.sandbox JSON file); the project's code
    #: runs in it and the checks grade as `lab grade` does
    sandbox: Path | None = None
    #: the extra rubric's bytes, read already: `lab grade` hands them over on stdin
    #: (`extra_rubric` is then "-"), never on a command line nor in a file
    extra_rubric_bytes: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        unknown = sorted({*self.urls, *self.not_graded} - set(SERVICES))
        if unknown:
            raise ValueError(f"unknown service(s) {unknown}: known are {', '.join(SERVICES)}")

    def to_argv(self) -> list[str]:
        """The `lab check` arguments that ask for exactly these options."""
        argv: list[str] = []
        for module in self.modules:
            argv += ["-m", module]
        for service in SERVICES:
            if service in self.urls:
                argv.append(f"--{service}-url={self.urls[service]}")
        for service in self.not_graded:
            argv += ["--no-service", service]
        paths = {
            "--json": self.json_path, "--badges": self.badges_dir, "--html": self.html_path,
            "--rubric": self.rubric, "--extra-rubric": self.extra_rubric,
            "--project-dir": self.project_dir, "--python": self.python, "--api-log": self.api_log,
            "--lang": self.lang, "--sandbox": self.sandbox, "--lab-home": self.lab_home,
        }  # fmt: skip
        for flag, value in paths.items():
            if value is not None:
                argv += [flag, str(value)]
        if not self.run_tests:
            argv.append("--no-tests")
        if self.fresh:
            argv.append("--fresh")
        if self.fault_checks is not None:
            argv.append("--fault-checks" if self.fault_checks else "--no-fault-checks")
        if self.send_credentials:
            argv.append("--send-credentials")
        if self.fmt != "table":
            argv += ["--format", self.fmt]
        return argv

    def command(self, python: str = sys.executable, *, isolated: bool = False) -> list[str]:
        """`lab check` with these options, as a child process runs it (`isolated`: `python -I`,
        so neither its working folder nor PYTHON* variables reach its import path)."""
        return [python, *(["-I"] if isolated else []), "-m", "lab", "check", *self.to_argv()]

    def fault_policy(self) -> tuple[bool, str]:
        """(whether fault checks run, why not when they do not)."""
        if self.fault_checks is None:
            remote = any(self.urls.values())
            return (False, REMOTE_NOTE) if remote else (True, "")
        return (True, "") if self.fault_checks else (False, "--no-fault-checks")

    def targets(self, settings: Settings) -> Targets:
        overrides: dict[str, str | None] = {f"{s}_url": u or None for s, u in self.urls.items()}
        overrides.update({f"{s}_url": "" for s in self.not_graded})
        return Targets.from_settings(settings, **overrides)

    def context(self, settings: Settings, project: GradedProject) -> CheckContext:
        """The checks' context: `settings` are the project's (graded.project_settings)."""
        fault_checks, fault_note = self.fault_policy()
        sandbox = None
        if self.sandbox is not None:
            sandbox = Sandbox.from_json(self.sandbox.read_text(encoding="utf-8"))
        return CheckContext(
            settings=settings,
            targets=self.targets(settings),
            project_dir=project.root,
            env_file=project.env_file,
            run_tests=self.run_tests,
            send_credentials=self.send_credentials,
            python=project.python,
            python_note=project.python_note,
            workspace=project.workspace,
            fault_checks=fault_checks,
            fault_note=fault_note,
            lab_command=self.lab_command(sandbox),
            api_log=self.api_log,
            reuse=None
            if self.fresh or sandbox
            else Store(settings.LAB_HOME / "cache" / "checks.json"),
            sandbox=sandbox,
        )

    def lab_command(self, sandbox: Sandbox | None) -> tuple[str, ...]:
        """How fault checks run `lab stop|start NAME`: for a learner's lab that `lab grade`
        runs in a sandbox, inside it, joining its PID namespace (lab.sandbox.__main__)."""
        if sandbox is None:
            return (sys.executable, "-m", "lab")
        lab = (sys.executable, "-I", "-m", "lab")
        if not sandbox.isolated or sandbox.join_pid is None:
            return lab
        return (sys.executable, "-I", "-m", "lab.sandbox", str(self.sandbox), "--", *lab)


@dataclass(frozen=True)
class Session:
    """One `lab check` run, ready to go: the rubric, the project and the checks' context."""

    options: CheckOptions
    rubric: Rubric
    hidden: dict[str, Any]  # the instructor's extra criteria, as extra.record_hidden reads it
    project: GradedProject
    ctx: CheckContext
    modules: tuple[str, ...]  # the rubric's ids of the modules asked for (all: empty)


def open_session(options: CheckOptions, settings: Settings) -> Session:
    """Load the rubric (`RubricError`), check the modules asked for (`UnknownModule`),
    resolve the project graded and build the context."""
    rubric_path = options.rubric or settings.LAB_CONFIG_DIR / "rubric.yml"
    rubric, hidden = with_extra(
        load_rubric(rubric_path), options.extra_rubric, options.extra_rubric_bytes
    )
    modules = module_ids(rubric, options.modules)
    project = resolve(options.project_dir, options.python)
    graded = project_settings(
        project, settings, options.lab_home, explicit=options.project_dir is not None
    )
    return Session(options, rubric, hidden, project, options.context(graded, project), modules)


def module_ids(rubric: Rubric, wanted: tuple[str, ...]) -> tuple[str, ...]:
    """The rubric's ids of the modules asked for (any case, each once), in the order given;
    `UnknownModule` for one the rubric lacks."""
    ids: list[str] = []
    for name in wanted:
        try:
            module_id = rubric.module(name).id
        except KeyError:
            known = ", ".join(m.id for m in rubric.modules)
            raise UnknownModule(f"no module {name!r} (known: {known})") from None
        if module_id not in ids:
            ids.append(module_id)
    return tuple(ids)


def exit_code(counts: Mapping[str, int]) -> int:
    """The exit code of a run with these status counts (pass, fail, skip, error)."""
    if counts.get("fail"):
        return EXIT_FAILED
    if counts.get("error"):
        return EXIT_ERRORED
    if counts.get("skip"):
        return EXIT_SKIPPED
    return EXIT_PASSED
