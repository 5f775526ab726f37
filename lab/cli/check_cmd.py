"""`lab check`: grade a running lab against config/rubric.yml, module by module."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import click

from lab.acceptance.session import EXIT_BAD_RUBRIC
from lab.cli import check_run
from lab.cli._common import console, default_lang, default_rubric, err_console, get_settings
from lab.cli.check_tables import coverage_table
from lab.services import GRADED

if TYPE_CHECKING:
    from typing import IO, Any


class RubricProblem(click.ClickException):
    exit_code = EXIT_BAD_RUBRIC

    def show(self, file: IO[Any] | None = None) -> None:
        err_console.print(f"[bold red]rubric error:[/] {self.format_message()}", soft_wrap=True)


def _url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.BadParameter(f"{value!r} is not an http(s) URL, e.g. http://127.0.0.1:8000")
    return value.rstrip("/")


def _default_lang() -> str:
    return default_lang()


@click.command("check")
@click.option("--api-url", callback=_url, help="Serving API to grade (default: API_HOST:API_PORT).")
@click.option("--crm-url", callback=_url, help="CRM to read records from (default: CRM_URL).")
@click.option("--mlflow-url", callback=_url, help="MLflow server (default: MLFLOW_TRACKING_URI).")
@click.option("--prometheus-url", callback=_url, help="Prometheus (default: PROMETHEUS_PORT).")
@click.option("--grafana-url", callback=_url, help="Grafana (default: GRAFANA_HOST:GRAFANA_PORT).")
@click.option(
    "-m",
    "--module",
    "modules",
    multiple=True,
    metavar="M4",
    help="Grade only this module (repeatable).",
)
@click.option(
    "--json",
    "json_path",
    metavar="FILE",
    help="Results JSON ('-': print it to stdout). [default: LAB_HOME/reports/check.json]",
)
@click.option(
    "--badges",
    "badges_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for SVG badges + shields.io JSON. [default: LAB_HOME/reports/badges]",
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Self-contained HTML report. [default: LAB_HOME/reports/check.html]",
)
@click.option("--no-tests", is_flag=True, help="Skip the slow test-running criteria (they earn 0).")
@click.option(
    "--fresh",
    is_flag=True,
    help="Run every check. By default a pass of M1.deps and M1.train (the project's imports, "
    "its training command: seconds each) is reported again while neither the project's files "
    "nor its venv changed.",
)
@click.option(
    "--rubric",
    "rubric_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Rubric file. [default: the course's (LAB_COURSE), else LAB_CONFIG_DIR/rubric.yml]",
)
@click.option(
    "--project-dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="Project to grade (pyproject.toml or workspace.toml). "
    "[default: the current folder when it holds a project, else this lab's checkout]",
)
@click.option(
    "--python",
    "python",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The project's interpreter. [default: its .venv, or the one workspace.toml names]",
)
@click.option(
    "--fault-checks/--no-fault-checks",
    default=None,
    help="Stop and restart lab processes to grade fault handling (M4.crm_down). "
    "[default: on for the local lab, off when a service URL is given]",
)
@click.option(
    "--lab-home",
    type=click.Path(path_type=Path, file_okay=False),
    help="The project's running lab's LAB_HOME (its model file and logs). "
    "[default: the project's own: its .env's LAB_HOME, or .lab in it]",
)
@click.option(
    "--api-log",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The API's log file for M4.flow_log. [default: the logs under LAB_HOME/run]",
)
@click.option(
    "--lang",
    type=click.Choice(["en", "zh-TW"]),
    default=_default_lang,
    help="Language of titles and hints in the table.  [default: from LANG, else en]",
)
@click.option("--list-kinds", is_flag=True, help="List the check kinds a rubric may use, and exit.")
@click.option(
    "--coverage",
    is_flag=True,
    help="Also print the course-coverage table: each acceptance line of the course and the "
    "criteria that grade it (long).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "junit", "github-summary"]),
    default="table",
    show_default=True,
    help="What goes to stdout: the table, JUnit XML, or Markdown for $GITHUB_STEP_SUMMARY "
    "(the table then goes to stderr; JSON, badges and HTML are still written).",
)
@click.option(
    "--no-service",
    "not_graded",
    multiple=True,
    type=click.Choice(GRADED),
    help="Do not grade this service: its criteria are skipped (`lab grade`: an empty URL).",
)
@click.option(
    "--extra-rubric",
    "extra_rubric",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The instructor's extra criteria (same format), added to the public rubric's "
    "('-': read them from stdin, as `lab grade` hands them over).",
)
@click.option(
    "--sandbox",
    "sandbox_spec",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    hidden=True,
    help="`lab grade` only: the learner's sandbox (JSON, lab.sandbox); the project's code runs "
    "in it and the checks grade as `lab grade` does.",
)
@click.option(
    "--send-credentials",
    is_flag=True,
    help="Send CRM_TOKEN, API_TOKEN and the Grafana password to the URLs given too (default: "
    "only to the addresses .env names, so grading another lab hands it no secret).",
)
def check(
    modules: tuple[str, ...], json_path: str | None, badges_dir: Path | None,
    html_path: Path | None, no_tests: bool, fresh: bool, rubric_path: Path | None,
    project_dir: Path | None, python: Path | None, fault_checks: bool | None,
    api_log: Path | None, lang: str, list_kinds: bool, coverage: bool, fmt: str,
    extra_rubric: Path | None, not_graded: tuple[str, ...], send_credentials: bool,
    sandbox_spec: Path | None, lab_home: Path | None, **urls: str | None,
) -> None:  # fmt: skip
    """Grade the running lab against the acceptance rubric and print a scorecard.

    Every criterion is a black-box check (files, HTTP, the MLflow, Prometheus and Grafana APIs)
    with a timeout. It passes, fails (with what was seen and a hint linking to docs/modules.md)
    or is skipped (e.g. Grafana not running); a skip earns no points.

    Writes the results JSON, SVG badges with shields.io endpoint JSON, and an HTML report.

    \b
    Exit codes: 0 every criterion passed; 1 at least one failed;
                4 none failed but some could not run (error: fix the grading environment);
                3 none failed but some were skipped; 2 the rubric or an option is wrong.
    \b
    Examples:
      lab check                       # the whole lab, URLs from .env
      lab check -m M4 --no-tests      # one module
      lab check --fresh               # run M1.deps and M1.train again, changed or not
      lab check --api-url http://10.0.0.7:8000 --json - > score.json
    """
    from lab.acceptance import CHECK_KINDS, RubricError
    from lab.acceptance.extra import record_hidden
    from lab.acceptance.formats import render, verdict
    from lab.acceptance.session import CheckOptions, UnknownModule, exit_code, open_session

    if list_kinds:
        for kind in CHECK_KINDS:
            console.print(f"[bold]{kind.name}[/]: {kind.summary}")
        return
    options = CheckOptions(
        modules=tuple(modules),
        urls={k.removesuffix("_url"): v for k, v in urls.items() if v is not None},
        not_graded=tuple(not_graded),
        json_path=json_path,
        badges_dir=badges_dir,
        html_path=html_path,
        run_tests=not no_tests,
        fresh=fresh,
        rubric=rubric_path or default_rubric(get_settings(), project_dir),
        extra_rubric=extra_rubric,
        project_dir=project_dir,
        python=python,
        fault_checks=fault_checks,
        api_log=api_log,
        send_credentials=send_credentials,
        lang=lang,
        fmt=fmt,
        sandbox=sandbox_spec,
        lab_home=lab_home,
        extra_rubric_bytes=_stdin_rubric(extra_rubric),
    )
    try:
        session = open_session(options, base := get_settings())
    except RubricError as exc:
        raise RubricProblem(str(exc)) from None
    except UnknownModule as exc:
        raise click.BadParameter(str(exc), param_hint="--module") from None
    project, ctx, rubric = session.project, session.ctx, session.rubric
    if json_path == "-" and fmt != "table":
        raise click.BadParameter("--json - and --format both want stdout", param_hint="--format")
    out = err_console if json_path == "-" or fmt != "table" else console
    out.print(f"grading the {project.describe()}", soft_wrap=True)
    out.print(
        f"interpreter: {project.python or 'none'} ({project.python_note}) · services: "
        + ", ".join(f"{k.removesuffix('_url')} {v or '(not graded)'}"
                    for k, v in vars(ctx.targets).items()),
        soft_wrap=True,
    )  # fmt: skip
    result = check_run.run(rubric, ctx, list(session.modules), out, lang)
    record_hidden(result, session.hidden)
    if coverage:  # the course's acceptance lines against the criteria: long, so asked for
        out.print(coverage_table(rubric, result, lang))
    out.print(verdict(result), soft_wrap=True)
    # reports go where they always went: an exported LAB_HOME is the grader's own, and wins
    reports = base.reports_dir if "LAB_HOME" in os.environ else ctx.settings.reports_dir
    check_run.write_outputs(result, reports, json_path, badges_dir, html_path, out)
    check_run.record_progress(ctx.project_dir, result, out)
    if ctx.run_tests:
        check_run.public_tests(ctx, [m.id for m in result.modules], out)
    if fmt != "table":
        click.echo(render(result, fmt), nl=False)
    code = exit_code(result.counts)
    if code:
        sys.exit(code)


def _stdin_rubric(extra_rubric: Path | None) -> bytes | None:
    """`--extra-rubric -`: the rubric's bytes from stdin (`lab grade`: never on a command line
    nor in a file), which is then closed, so nothing this run starts can read it again."""
    if extra_rubric is None or str(extra_rubric) != "-":
        return None
    raw = sys.stdin.buffer.read()
    os.close(0)
    os.open(os.devnull, os.O_RDONLY)
    return raw
