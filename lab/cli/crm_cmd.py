"""`lab crm`: run the built-in CRM (Litestar + SQLite) under uvicorn."""

from __future__ import annotations

import copy
import sys

import click

from lab.cli._common import LabError, console, get_settings


def log_config(level: str) -> dict:
    """uvicorn's logging setup, plus the lab's own loggers (`lab.*`) at `level`."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    # Control characters in paths and ids are escaped in every line (lab.web.logtext).
    config["formatters"]["default"]["()"] = "lab.web.logtext.EscapingDefaultFormatter"
    config["formatters"]["access"]["()"] = "lab.web.logtext.EscapingAccessFormatter"
    config["formatters"]["lab"] = {
        "()": "lab.web.logtext.EscapingFormatter",
        "format": "%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        "datefmt": "%H:%M:%S",
    }
    config["handlers"]["lab"] = {
        "formatter": "lab",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stdout",
    }
    config["loggers"]["lab"] = {"handlers": ["lab"], "level": level, "propagate": False}
    return config


@click.command("crm")
@click.option("--access-log/--no-access-log", default=False, show_default=True,
              help="Log every request (off: only segment writes are logged).")  # fmt: skip
def crm(access_log: bool) -> None:
    """Run the built-in CRM on CRM_HOST:CRM_PORT (SQLite under LAB_HOME/crm).

    The first start seeds CUST001, CUST002, CUST003, CUST_TEST_007 and CRM_SEED_CUSTOMERS
    synthetic customers; later starts keep the data. Writes need `Authorization: Bearer
    <CRM_TOKEN>`. API docs at /schema, metrics at /metrics.
    """
    import uvicorn

    from lab.crm.app import CrmConfigError, create_app
    from lab.serving.server import PortInUse, check_port

    settings = get_settings()
    try:
        check_port(settings.CRM_HOST, settings.CRM_PORT)
        app = create_app(settings)
    except PortInUse as exc:
        raise LabError(f"{exc}: stop the other process or set CRM_PORT in .env") from None
    except CrmConfigError as exc:
        raise LabError(str(exc)) from None
    console.print(
        f"CRM on {settings.crm_url} (docs {settings.crm_url}/schema, "
        f"database {settings.crm_db_path})"
    )
    uvicorn.run(
        app,
        host=settings.CRM_HOST,
        port=settings.CRM_PORT,
        log_config=log_config(settings.LOG_LEVEL),
        log_level=settings.LOG_LEVEL.lower(),
        access_log=access_log,
    )
    sys.exit(0)
