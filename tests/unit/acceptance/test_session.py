"""`lab.acceptance.session`: CheckOptions is what `lab check` parses, `to_argv()` spells it back
(the grader and verify run it as a child), the fault-check policy and the exit codes."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lab.acceptance import session
from lab.acceptance.session import (
    EXIT_ERRORED,
    EXIT_FAILED,
    EXIT_PASSED,
    EXIT_SKIPPED,
    GRADED_CODES,
    SERVICES,
    CheckOptions,
    UnknownModule,
    exit_code,
    module_ids,
    open_session,
)
from lab.cli import main
from lab.settings import load_settings
from tests.support import REPO

PROJECT = REPO  # an existing folder for --project-dir


def _parsed(argv: list[str]) -> dict[str, object]:
    """The parameters `lab check` parses from `argv` (the real command and its callbacks)."""
    command = main.get_command(click.Context(main), "check")
    assert command is not None
    with command.make_context("check", list(argv)) as ctx:
        return dict(ctx.params)


def _from_params(params: dict[str, object]) -> CheckOptions:
    """What check_cmd builds from its parameters (the same mapping, spelled out)."""
    urls = {k.removesuffix("_url"): v for k, v in params.items() if k.endswith("_url") and v}
    return CheckOptions(
        modules=tuple(params["modules"]),  # type: ignore[arg-type]
        urls=urls,  # type: ignore[arg-type]
        not_graded=tuple(params["not_graded"]),  # type: ignore[arg-type]
        json_path=params["json_path"],  # type: ignore[arg-type]
        badges_dir=params["badges_dir"],  # type: ignore[arg-type]
        html_path=params["html_path"],  # type: ignore[arg-type]
        run_tests=not params["no_tests"],
        fresh=bool(params["fresh"]),
        rubric=params["rubric_path"],  # type: ignore[arg-type]
        extra_rubric=params["extra_rubric"],  # type: ignore[arg-type]
        project_dir=params["project_dir"],  # type: ignore[arg-type]
        python=params["python"],  # type: ignore[arg-type]
        fault_checks=params["fault_checks"],  # type: ignore[arg-type]
        api_log=params["api_log"],  # type: ignore[arg-type]
        send_credentials=bool(params["send_credentials"]),
        lang=params["lang"],  # type: ignore[arg-type]
        fmt=params["fmt"],  # type: ignore[arg-type]
    )


paths = st.sampled_from([None, Path("/tmp/a b/x.json"), Path("out/check.html")])
options = st.builds(
    CheckOptions,
    modules=st.lists(st.sampled_from(["M1", "M2", "M4"]), max_size=3).map(tuple),
    urls=st.dictionaries(
        st.sampled_from(SERVICES), st.sampled_from(["http://127.0.0.1:9", "https://h.example:1"])
    ),
    not_graded=st.lists(st.sampled_from(SERVICES), max_size=2, unique=True).map(tuple),
    json_path=st.sampled_from([None, "-", "/tmp/out.json"]),
    badges_dir=paths,
    html_path=paths,
    run_tests=st.booleans(),
    fresh=st.booleans(),
    rubric=paths,
    extra_rubric=paths,
    project_dir=st.sampled_from([None, PROJECT]),
    python=paths,
    fault_checks=st.sampled_from([None, True, False]),
    api_log=paths,
    send_credentials=st.booleans(),
    lang=st.sampled_from(["en", "zh-TW"]),
    fmt=st.sampled_from(["table", "junit", "github-summary"]),
)


@given(options)
def test_to_argv_is_what_lab_check_parses_back(opts: CheckOptions) -> None:
    assert _from_params(_parsed(opts.to_argv())) == opts


def test_the_command_runs_lab_check_with_those_arguments() -> None:
    opts = CheckOptions(modules=("M4",), run_tests=False, fault_checks=True)
    assert opts.command("py") == ["py", "-m", "lab", "check", "-m", "M4", "--no-tests",
                                  "--fault-checks"]  # fmt: skip


def test_an_unknown_service_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown service"):
        CheckOptions(urls={"apii": "http://x:1"})


@pytest.mark.parametrize(
    ("opts", "policy"),
    [
        (CheckOptions(), (True, "")),
        (CheckOptions(urls={"api": "http://10.0.0.7:8000"}), (False, session.REMOTE_NOTE)),
        (CheckOptions(urls={"api": "http://x:1"}, fault_checks=True), (True, "")),
        (CheckOptions(fault_checks=False), (False, "--no-fault-checks")),
    ],
)  # fmt: skip
def test_fault_checks_run_on_the_local_lab_only(
    opts: CheckOptions, policy: tuple[bool, str]
) -> None:
    assert opts.fault_policy() == policy


@pytest.mark.parametrize(
    ("counts", "code"),
    [
        ({"pass": 3, "fail": 0, "skip": 0, "error": 0}, EXIT_PASSED),
        ({"pass": 3, "fail": 1, "skip": 2, "error": 1}, EXIT_FAILED),
        ({"pass": 3, "fail": 0, "skip": 2, "error": 1}, EXIT_ERRORED),
        ({"pass": 3, "fail": 0, "skip": 2, "error": 0}, EXIT_SKIPPED),
    ],
)
def test_exit_codes(counts: dict[str, int], code: int) -> None:
    assert exit_code(counts) == code
    assert code in GRADED_CODES and 2 not in GRADED_CODES


def test_a_session_builds_the_context_the_cli_used_to(tmp_path: Path) -> None:
    settings = load_settings(env_file=tmp_path / "none.env", LAB_HOME=tmp_path / "home")
    opts = CheckOptions(
        modules=("m4", "M4", "M2"),
        urls={"api": "http://127.0.0.1:9"},
        not_graded=("grafana",),
        run_tests=False,
        project_dir=PROJECT,
    )
    session = open_session(opts, settings)
    assert session.modules == ("M4", "M2")
    ctx = session.ctx
    assert ctx.targets.api_url == "http://127.0.0.1:9"
    assert ctx.targets.grafana_url == ""
    assert ctx.targets.crm_url == settings.crm_url
    assert (ctx.fault_checks, ctx.run_tests) == (False, False)
    assert "a service URL was given" in ctx.fault_note
    assert ctx.reuse is not None and not opts.fresh
    assert ctx.project_dir == PROJECT.resolve()
    with pytest.raises(UnknownModule, match=r"no module 'M9' \(known: M1"):
        module_ids(session.rubric, ("M9",))
