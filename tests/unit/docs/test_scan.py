"""The page scanner catches wrong commands, options, choices and routes, and names the line."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from lab.cli import main
from tests.unit.docs import scan

API = scan.App(
    "API",
    {"/predict": {"POST"}, "/health": {"GET"}, "/crm_segment_update": {"POST"}},
    {"/schema/swagger"},
)
CRM = scan.App("CRM", {"/customers/{customer_id}/segment": {"PUT"}}, {"/metrics"})
PORTS = {8000: API, 8001: CRM}


def problems(markdown: str) -> list[tuple[int, str]]:
    found = []
    for snippet in scan.snippets(markdown):
        for args in scan.commands_in(snippet):
            found += [(snippet.line, p) for p in scan.check_command(args, main)]
        found += [(snippet.line, p) for p in scan.path_problems(snippet, [API, CRM])]
    for line, url, method in scan.page_urls(markdown):
        problem = scan.url_problem(url, method, PORTS)
        if problem:
            found.append((line, problem))
    return found


GOOD = """\
# Page

Run `bin/lab up`, then `lab rollout start|promote|abort` and `lab fetch prometheus|grafana`.
`lab train --model-version v2 --no-promote`, `lab up api crm -q`, `lab check --json=-`,
`lab test -k slow -x`, `python -m lab <verb>`, `lab fetch TOOL --arch amd64`, the `lab` CLI.

```sh
lab serve --workers 2        # a comment: lab nonsense
curl -X POST http://127.0.0.1:8000/predict -d '{}' | jq   # lab check
curl http://127.0.0.1:8001/metrics
curl http://127.0.0.1:8001/customers/CUST_1/segment \\
     -X PUT -d '{}'
```

```python
from lab import nonsense  # python blocks are not shell
```

`PUT /customers/{id}/segment`, `/health`, `/crm_segment_update?customer_id=ID`, `/usr/share`,
`GET /api/v1/alerts` (Prometheus), http://127.0.0.1:8000/schema/swagger, http://127.0.0.1:9090/x.

| verbs | in a table |
|---|---|
| `lab stop\\|start\\|restart\\|logs NAME` | `lab fetch prometheus\\|grafana` |
"""


def test_a_page_of_real_commands_and_routes_passes() -> None:
    assert problems(GOOD) == []


@pytest.mark.parametrize(
    ("markdown", "line", "needle"),
    [
        ("text\n\n`lab serv`", 3, "`lab serv` is not a command"),
        ("`lab rollout start|finish`", 1, "`lab rollout finish` is not a command"),
        ("| a | `lab rollout start\\|finish` |", 1, "`lab rollout finish` is not a command"),
        ("```\nlab serve --wrokers 2\n```", 2, "has no option --wrokers"),
        ("```\n$ lab fetch grafna\n```", 2, "'grafna' is not one of"),
        ("`lab fetch prometheus --arch sparc`", 1, "'sparc' is not one of"),
        ("`lab status now`", 1, "takes no arguments"),
        ("a\nb `lab train\n--alias`", 2, None),  # a span across lines: --alias needs a value only
        ("```bash\ncurl http://127.0.0.1:8000/predikt\n```", 2, "/predikt is not a route of"),
        ("```\ncurl http://127.0.0.1:8000/health -d '{}'\n```", 2, "POST /health is not a route"),
        ("see http://127.0.0.1:8001/customers/X", 1, "/customers/X is not a route of the CRM"),
        ("`GET /customers/{id}/segment`", 1, "GET /customers/{id}/segment is not a route"),
        ("`/health/x`", 1, "/health/x is not a route"),
    ],
)
def test_a_wrong_command_or_route_is_reported_on_its_line(markdown, line, needle) -> None:
    found = problems(markdown)
    if needle is None:
        assert found == []
        return
    assert [n for n, _ in found] == [line], found
    assert needle in found[0][1]


def test_an_option_that_needs_a_value_takes_the_next_word() -> None:
    # `--json -` : "-" is the value of --json, not an option; `--rate abc` is not validated here
    assert scan.check_command(["check", "--json", "-", "-m", "M4"], main) == []
    assert scan.check_command(["load", "--rate", "20", "--duration", "120"], main) == []


def test_a_command_without_subcommands_below_is_checked_with_its_own_options() -> None:
    group = click.Group("lab", commands=[click.Command("x", params=[click.Option(["--y"])])])
    assert scan.check_command(["x", "--y", "1"], group) == []
    assert scan.check_command(["x", "--z"], group) == [
        "`lab x` has no option --z (its options: --help, --y)"
    ]


def test_a_group_with_a_default_subcommand_is_read_as_the_cli_dispatches_it() -> None:
    """`lab grade ROSTER ...` is `lab grade run ROSTER ...` (lab.cli.grade_cmd's default)."""
    ok = [
        ["grade", "config/roster.example.csv", "--out", "grades", "--jobs", "4"],
        ["grade", "ROSTER", "--shard", "1/2"],
        ["grade", "run", "ROSTER"],
        ["grade", "merge", "a", "b"],
        ["grade", "--help"],
        ["grade", "--jobs", "2", "ROSTER"],
    ]
    for args in ok:
        assert scan.check_command(args, main) == [], args
    assert scan.check_command(["grade", "roster.csv", "--jbos", "4"], main) == [
        f"`lab grade run` has no option --jbos (its options: {_options('run')})"
    ]
    # the CLI itself: a roster that is no subcommand's name goes to `run` (its ROSTER argument)
    result = CliRunner().invoke(main, ["grade", "no-such-roster.csv"], prog_name="lab")
    assert result.exit_code == 2
    assert "lab grade run [OPTIONS] ROSTER" in result.output
    assert "'ROSTER': File 'no-such-roster.csv' does not exist" in result.output


def _options(name: str) -> str:
    ctx = click.Context(main)
    grade = main.get_command(ctx, "grade")
    command = grade.get_command(ctx, name)
    opts = {o for p in command.params if isinstance(p, click.Option) for o in scan._opts(p)}
    return ", ".join(sorted(o for o in {*opts, "--help"} if o.startswith("--")))
