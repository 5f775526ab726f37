"""The lab's processes: the one list of them (Procfile name, settings key, health path).

Everything that names the lab's services reads this list: `lab up` and the Procfile
(lab.orchestration), `lab check`'s URLs and `--no-service` (lab.acceptance), the grader's roster
and the ports it gives a workspace's lab (lab.grading), a workspace's `.env` (lab.exercises).
A new process is one line in SPECS (and its `<KEY>_HOST`/`<KEY>_PORT` in Settings).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["GRADED", "NAMES", "PORT_KEYS", "SPECS", "ServiceSpec", "spec"]


@dataclass(frozen=True)
class ServiceSpec:
    """What the lab knows about one Procfile process, independent of the settings."""

    name: str  # the Procfile process name
    title: str  # what a learner opens it for
    key: str  # settings prefix: <key>_HOST, <key>_PORT
    health_path: str
    link_path: str = ""
    tool: str | None = None  # the external binary it needs, if any
    #: its place in `lab check`'s list of URLs (`--<name>-url`, roster column `<name>_url`);
    #: None: `lab check` does not grade it at a URL of its own
    graded: int | None = None

    @property
    def port_key(self) -> str:
        return f"{self.key}_PORT"

    @property
    def host_key(self) -> str:
        return f"{self.key}_HOST"


#: every process, in start order
SPECS: tuple[ServiceSpec, ...] = (
    ServiceSpec("mlflow", "MLflow UI", "MLFLOW", "/health", graded=3),
    ServiceSpec("crm", "CRM API docs", "CRM", "/health", "/schema", graded=2),
    ServiceSpec("api", "API docs", "API", "/health", "/schema", graded=1),
    ServiceSpec("prometheus", "Prometheus", "PROMETHEUS", "/-/ready", tool="prometheus", graded=4),
    ServiceSpec("grafana", "dashboards", "GRAFANA", "/api/health", tool="grafana", graded=5),
    # the learner's page (lab/home): it reads the others over HTTP and files
    ServiceSpec("home", "lab home", "HOME", "/health", "/"),
)
NAMES: tuple[str, ...] = tuple(s.name for s in SPECS)
#: the settings key of each process's port (API_PORT...), in SPECS order
PORT_KEYS: tuple[str, ...] = tuple(s.port_key for s in SPECS)
#: the services `lab check` grades, each at its own URL, in the order it lists them
GRADED: tuple[str, ...] = tuple(
    s.name for s in sorted((s for s in SPECS if s.graded is not None), key=lambda s: s.graded or 0)
)


def spec(name: str) -> ServiceSpec:
    """The process called `name` (KeyError naming the known ones)."""
    for found in SPECS:
        if found.name == name:
            return found
    raise KeyError(f"no lab process {name!r} (known: {', '.join(NAMES)})")
