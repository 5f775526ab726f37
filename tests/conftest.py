from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from lab.settings import Settings, load_settings
from tests.support import MLFLOW_START_TIMEOUT, LabProcess, free_port, lab_env, lab_process

# No timed assertions, hypothesis's included: its 200 ms deadline and "too slow" health check
# failed property tests on a loaded machine (and CI runs them three times).
hypothesis_settings.register_profile(
    "lab", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("lab")

TESTS = Path(__file__).resolve().parent
#: Suites whose modules share expensive fixtures (processes, a browser): they run in file order.
FIXED_ORDER_SUITES = ("integration", "e2e")
#: The slowest test files (path under tests/) and their seconds in CI's first run (3 workers on
#: a 2-core machine; setup and teardown included; measured 2026-12). On xdist's workers they go
#: out first, longest first: a 4-minute file that starts last stretches the run by its length
#: (xdist's own reorder, by number of tests, sent the one-test files out last: 13 min instead
#: of ~11). A file not listed counts 0 and runs after these; update the figures when they drift.
SLOW_FILES: dict[str, float] = {
    # `lab exercise verify --path`: estimated from a loaded run (~900 s at a load of ~10)
    "integration/exercises/test_course_path.py": 270,
    "integration/grading/test_verify.py": 230,
    "integration/grading/test_grade_roster.py": 180,
    "integration/serving/test_serve_registry.py": 150,
    "integration/authoring/test_course_verify.py": 120,
    "integration/serving/test_rollout_workers.py": 120,
    "integration/rollout/test_rollout_live.py": 100,
    "integration/acceptance/test_check_lab.py": 100,
    "integration/serving/test_registry_signing.py": 90,
    "integration/crm/test_segment_flow.py": 90,
    "e2e/test_home_workspace.py": 80,
    "e2e/test_mlflow_ui.py": 80,
    "e2e/test_home.py": 80,
    "integration/grading/test_hostile_roster.py": 70,
    "integration/orchestration/test_supervision.py": 70,
    "integration/observability/test_drift_alert.py": 70,
    "integration/observability/test_monitoring_stack.py": 50,
    "integration/exercises/test_starter_service.py": 50,
    "integration/crm/test_schemathesis.py": 50,
    "integration/serving/test_serve_offline.py": 40,
    "integration/exercises/test_public_tests.py": 40,
    "integration/orchestration/test_lab_up.py": 40,
    "static/test_types.py": 40,
    "integration/acceptance/test_check_broken_service.py": 40,
    "property/test_acceptance_properties.py": 30,
}  # fmt: skip
_COLLECTED = pytest.StashKey[int]()
_COUNTER = pytest.StashKey["itertools.count[int]"]()


def pytest_itemcollected(item: pytest.Item) -> None:
    """Number the tests in collection (file) order, before pytest-randomly shuffles them."""
    item.stash[_COLLECTED] = next(item.config.stash.setdefault(_COUNTER, itertools.count()))


def _fixed_order(item: pytest.Item) -> bool:
    if item.get_closest_marker("integration") or item.get_closest_marker("e2e"):
        return True
    try:
        return item.path.resolve().relative_to(TESTS).parts[0] in FIXED_ORDER_SUITES
    except ValueError:
        return False


def _file_seconds(item: pytest.Item) -> float:
    """The item's file's measured seconds (SLOW_FILES), 0 for a file not listed."""
    try:
        return SLOW_FILES.get(item.path.resolve().relative_to(TESTS).as_posix(), 0.0)
    except ValueError:
        return 0.0


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The unit and property suites run in pytest-randomly's order (shuffled, seed in the
    header); the integration and e2e tests run after them in file order, so each module's
    stack starts once and its tests run as written."""
    shuffled = [item for item in items if not _fixed_order(item)]
    fixed = sorted(
        (item for item in items if _fixed_order(item)), key=lambda i: i.stash[_COLLECTED]
    )
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        items[:] = shuffled + fixed
        return
    # On pytest-xdist's workers (`lab test` runs whole files on each, with xdist's
    # --no-loadscope-reorder: files go out in this order) the slowest files go out first,
    # longest first, then the other integration and e2e files, then the quick unit files,
    # which fill the gaps at the end instead of one worker finishing minutes after the others.
    ordered = fixed + shuffled
    items[:] = sorted(ordered, key=lambda i: -_file_seconds(i))  # stable: file order kept


@pytest.fixture
def lab_home(tmp_path: Path) -> Path:
    home = tmp_path / "lab-home"
    home.mkdir()
    return home


@pytest.fixture
def settings_factory(lab_home: Path, monkeypatch: pytest.MonkeyPatch):
    """Build Settings in a temp LAB_HOME, ignoring the developer's .env and environment."""
    for key in list(os.environ):
        if key in Settings.model_fields:
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("LAB_ENV_FILE", str(lab_home / "no.env"))

    def make(**overrides: object) -> Settings:
        values = {
            "LAB_HOME": lab_home,
            "CRM_TOKEN": "test-crm-token-0000",
            "ADMIN_TOKEN": "test-admin-token",
            "GRAFANA_ADMIN_PASSWORD": "test-grafana-password",
            "GRAFANA_SECRET_KEY": "test-grafana-secret-key",
            "API_TOKEN": "test-api-token-0000",
            "LAB_SIGNING_KEY": "test-signing-key-0000",
        }
        values.update(overrides)
        return load_settings(**values)

    return make


@pytest.fixture
def settings(settings_factory) -> Settings:
    return settings_factory()


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LabProcess, dict]]:
    """A real `mlflow server` (via `lab mlflow`) on a free port in its own LAB_HOME.

    Yields the process and the environment that points lab commands at it.
    """
    home = tmp_path_factory.mktemp("mlflow-home")
    port = free_port()
    env = lab_env(home, MLFLOW_PORT=port)
    with lab_process(["mlflow"], env, home / "mlflow.log") as proc:
        proc.wait_healthy(f"http://127.0.0.1:{port}/health", timeout=MLFLOW_START_TIMEOUT)
        yield proc, env


@pytest.fixture(autouse=True)
def _mlflow_uris_stay_in_their_test() -> Iterator[None]:
    """`mlflow_registry.configure` sets mlflow's process-wide tracking and registry URIs; put
    them back after each test, or a later `MlflowClient(tracking_uri=...)` in the same worker
    resolves its registry to a previous test's (deleted) SQLite file."""
    yield
    if "mlflow" not in sys.modules:
        return
    import mlflow

    saved = {k: os.environ.get(k) for k in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")}
    mlflow.set_registry_uri(None)
    mlflow.set_tracking_uri(None)
    for key, value in saved.items():  # set_tracking_uri(None) unsets the variable: restore it
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
