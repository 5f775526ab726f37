"""The `lab` command line. Each verb lives in its own module and is loaded only when it runs.

A new verb: write `lab/cli/NAME_cmd.py` holding a click command, and add one line to COMMANDS
("verb": "module:attribute"). `lab VERB` imports that module alone, so a command starts without
importing what the other verbs need.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping

import click

from lab import __version__

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

#: verb -> "module:attribute" of its click command (one line each; keep it sorted by module)
COMMANDS: dict[str, str] = {
    "bench": "lab.cli.bench_cmd:bench",
    "check": "lab.cli.check_cmd:check",
    "course": "lab.cli.course_cmd:course",
    "crm": "lab.cli.crm_cmd:crm",
    "dashboard": "lab.cli.dashboard_cmd:dashboard",
    "exercise": "lab.cli.exercise_cmd:exercise",
    "grade": "lab.cli.grade_cmd:grade",
    "hint": "lab.cli.hint_cmd:hint",
    "quiz": "lab.cli.hint_cmd:quiz",
    "home": "lab.cli.home_cmd:home",
    "load": "lab.cli.load_cmd:load",
    "mlflow": "lab.cli.mlflow_cmd:mlflow",
    "fetch": "lab.cli.monitor_cmd:fetch",
    "prometheus": "lab.cli.monitor_cmd:prometheus",
    "grafana": "lab.cli.monitor_cmd:grafana",
    "status": "lab.cli.proc_cmd:status_cmd",
    "stop": "lab.cli.proc_cmd:stop",
    "start": "lab.cli.proc_cmd:start",
    "restart": "lab.cli.proc_cmd:restart",
    "logs": "lab.cli.proc_cmd:logs",
    "rollout": "lab.cli.rollout_cmd:rollout",
    "segment": "lab.cli.segment_cmd:segment",
    "serve": "lab.cli.serve_cmd:serve",
    "init": "lab.cli.setup_cmd:init",
    "test": "lab.cli.test_cmd:test",
    "train": "lab.cli.train_cmd:train",
    "up": "lab.cli.up_cmd:up",
    "first-model": "lab.cli.up_cmd:first_model",
    "down": "lab.cli.up_cmd:down",
    "clean": "lab.cli.up_cmd:clean",
}


class LazyGroup(click.Group):
    """A click group whose commands are imported on first use (click's lazy-loading pattern)."""

    def __init__(self, *args: object, lazy: Mapping[str, str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy = dict(lazy)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.lazy or cmd_name in self.commands:
            return super().get_command(ctx, cmd_name)
        module_name, _, attr = self.lazy[cmd_name].partition(":")
        command = getattr(importlib.import_module(module_name), attr)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.lazy[cmd_name]} is not a click command")
        self.add_command(command, cmd_name)
        return command


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings=CONTEXT)
@click.version_option(__version__, prog_name="mlops-lab")
def main() -> None:
    """mlops-lab: train, register, serve, integrate, monitor and grade an ML model on a laptop.

    Settings come from the environment and `.env` (run `lab init` to write it).
    """
    # Every lab process (and what it starts: uvicorn workers, `mlflow server`) refuses MLflow's
    # pickle-based loaders; the lab loads models with skops and its own trusted types.
    os.environ["MLFLOW_ALLOW_PICKLE_DESERIALIZATION"] = "false"
