"""One typed settings object, read from the environment and `.env` (the environment wins).

Every key below is listed, with a one-line comment, in `.env.example`. Derived values
(`MLFLOW_TRACKING_URI`, `CRM_URL`, ...) are computed from host + port unless set explicitly.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from lab.ids import MODEL_VERSION_PATTERN
from lab.net import url_host

PrimaryMetric = Literal["accuracy", "f1", "roc_auc", "neg_log_loss"]
Port = int


class SettingsError(ValueError):
    """A setting has a bad value; the message is one line that names the key."""


#: The folder inside the installed package where a wheel carries the checkout's `config/`,
#: `docs/`, `Procfile` and `.env.example`, in the checkout's layout (setup.py copies them).
SHIPPED_DIR = "_repo"


def lab_roots(package: Path | None = None) -> tuple[Path, ...]:
    """Folders holding the lab's own `config/`, `docs/`, `Procfile` and `.env.example`, in the
    order they are tried: the checkout the package runs from (the folder of `pyproject.toml`
    beside `lab/`), then the copy a wheel installed inside the package."""
    package = package or Path(__file__).resolve().parent
    checkout, installed = package.parent, package / SHIPPED_DIR
    return (checkout, installed) if (checkout / "pyproject.toml").is_file() else (installed,)


def lab_file(name: str, package: Path | None = None) -> Path | None:
    """The lab's own file or folder `name` (`config`, `Procfile`, `docs/modules.md`, ...) from the
    first of `lab_roots()` that has it, or None."""
    return next((root / name for root in lab_roots(package) if (root / name).exists()), None)


def default_config_dir(package: Path | None = None) -> Path:
    """`config/` of the checkout the package runs from, else the copy a wheel installed, else
    `config/` in the working folder. `LAB_CONFIG_DIR` overrides all three."""
    found = lab_file("config", package)
    return found if found is not None and found.is_dir() else Path("config")


def env_file_path() -> Path:
    """The `.env` file the lab reads: `LAB_ENV_FILE` if set, else `.env` in the working folder."""
    return Path(os.environ.get("LAB_ENV_FILE", ".env"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file_encoding="utf-8",
        extra="ignore",
        env_ignore_empty=True,
        case_sensitive=True,
        validate_default=True,
        frozen=True,
    )

    # runtime folder and model identity
    LAB_HOME: Path = Path(".lab")
    LAB_CONFIG_DIR: Path = Field(default_factory=lambda: default_config_dir())
    #: the course folder exercises and workspaces come from (None: the lab's default course)
    LAB_COURSE: Path | None = None
    MODEL_NAME: str = Field("churn-model", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")
    MODEL_VERSION: str = Field("v1.0.0", pattern=MODEL_VERSION_PATTERN)
    PRIMARY_METRIC: PrimaryMetric = "accuracy"

    # addresses (everything binds to 127.0.0.1 by default)
    API_HOST: str = "127.0.0.1"
    API_PORT: Port = Field(8000, ge=1, le=65535)
    CRM_HOST: str = "127.0.0.1"
    CRM_PORT: Port = Field(8001, ge=1, le=65535)
    MLFLOW_HOST: str = "127.0.0.1"
    MLFLOW_PORT: Port = Field(5001, ge=1, le=65535)
    PROMETHEUS_HOST: str = "127.0.0.1"
    PROMETHEUS_PORT: Port = Field(9090, ge=1, le=65535)
    GRAFANA_HOST: str = "127.0.0.1"
    GRAFANA_PORT: Port = Field(3000, ge=1, le=65535)
    # `lab home`, the learner's one page: loopback only (it stops and starts the lab's processes)
    HOME_HOST: str = "127.0.0.1"
    HOME_PORT: Port = Field(8080, ge=1, le=65535)

    # derived URLs (empty = computed from host + port)
    MLFLOW_TRACKING_URI: str = ""
    CRM_URL: str = ""

    # secrets (generated into .env by `lab init`; never a default password)
    CRM_TOKEN: str = ""
    ADMIN_TOKEN: str = ""
    GRAFANA_ADMIN_PASSWORD: str = ""
    GRAFANA_SECRET_KEY: str = ""  # signs Grafana's cookies (Grafana's own default is public)
    # bearer token /crm_segment_update needs when the API binds beyond loopback (API_HOST)
    API_TOKEN: str = ""
    # HMAC key the lab signs registry state with (versions, the split): lab.training.signing
    LAB_SIGNING_KEY: str = ""

    # serving
    API_WORKERS: int = Field(1, ge=1, le=64)
    MODEL_POLL_SECONDS: float = Field(10.0, gt=0)
    PREDICT_MAX_ROWS: int = Field(10_000, ge=1)
    PREDICT_MAX_BODY_BYTES: int = Field(8_000_000, ge=1024)
    # a registry version without the lab's digest loads only when this is true (never in prod)
    ALLOW_UNVERIFIED_MODELS: bool = False
    LATENCY_SLO_SECONDS: float = Field(0.05, gt=0)
    CHALLENGER_SHARE: float = Field(0.0, ge=0, le=1)
    DRIFT_WINDOW_ROWS: int = Field(1000, ge=10, le=1_000_000)  # recent inputs per version
    DRIFT_MIN_ROWS: int = Field(200, ge=10, le=1_000_000)  # fewer rows: no PSI (noise)
    LOG_LEVEL: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # CRM
    CRM_SEED_CUSTOMERS: int = Field(1000, ge=0, le=1_000_000)
    CRM_CONNECT_TIMEOUT: float = Field(2.0, gt=0)
    CRM_READ_TIMEOUT: float = Field(5.0, gt=0)
    CRM_RETRIES: int = Field(2, ge=0, le=10)
    # CRM calls in flight at once (the rest wait their turn: lab.crm.slots). The built-in CRM
    # answers one at a time, and httpx's pool costs more CPU per call the more connections it
    # holds (1000 updates: 16 took ~0.7x the time of 64); raise it for a remote, high-latency CRM
    CRM_MAX_IN_FLIGHT: int = Field(16, ge=1, le=1024)
    # the CRM client's HTTP pool: "httpx" (httpx's own: honours HTTP(S)_PROXY, NO_PROXY and
    # SSL_CERT_FILE) or "lab" (lab/crm/transport.py, hand-written; `lab bench` measures both and
    # says whether it is still worth keeping)
    CRM_HTTP_TRANSPORT: Literal["lab", "httpx"] = "httpx"
    SEGMENT_RULES_FILE: Path | None = None  # default: <LAB_CONFIG_DIR>/segments.yml

    # observability tools
    TOOLS_PROMETHEUS_BASE_URL: str = ""
    TOOLS_GRAFANA_BASE_URL: str = ""
    # how long the FeatureDrift alert waits before it fires (the `for:` of the rendered rule)
    DRIFT_ALERT_FOR: str = Field("1m", pattern=r"^[1-9][0-9]{0,4}(s|m|h)$")

    @field_validator("LAB_HOME", "LAB_CONFIG_DIR", "LAB_COURSE", "SEGMENT_RULES_FILE")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        return None if value is None else value.expanduser().resolve()

    @property
    def segment_rules_file(self) -> Path:
        return self.SEGMENT_RULES_FILE or self.LAB_CONFIG_DIR / "segments.yml"

    # ---- derived values -------------------------------------------------------------------
    @property
    def api_url(self) -> str:
        return f"http://{url_host(self.API_HOST)}:{self.API_PORT}"

    @property
    def crm_url(self) -> str:
        return (self.CRM_URL or f"http://{url_host(self.CRM_HOST)}:{self.CRM_PORT}").rstrip("/")

    @property
    def mlflow_url(self) -> str:
        return f"http://{url_host(self.MLFLOW_HOST)}:{self.MLFLOW_PORT}"

    @property
    def tracking_uri(self) -> str:
        return (self.MLFLOW_TRACKING_URI or self.mlflow_url).rstrip("/")

    @property
    def prometheus_url(self) -> str:
        return f"http://{url_host(self.PROMETHEUS_HOST)}:{self.PROMETHEUS_PORT}"

    @property
    def grafana_url(self) -> str:
        return f"http://{url_host(self.GRAFANA_HOST)}:{self.GRAFANA_PORT}"

    @property
    def home_url(self) -> str:
        return f"http://{url_host(self.HOME_HOST)}:{self.HOME_PORT}"

    # ---- runtime paths (all under LAB_HOME) ------------------------------------------------
    @property
    def models_dir(self) -> Path:
        return self.LAB_HOME / "models"

    @property
    def model_path(self) -> Path:
        return self.models_dir / "sample_model.joblib"

    @property
    def skops_model_path(self) -> Path:
        """The model file the lab loads (skops), beside the course's joblib file."""
        return self.models_dir / "sample_model.skops"

    @property
    def manifest_path(self) -> Path:
        return self.models_dir / "sample_model.json"

    @property
    def mlflow_dir(self) -> Path:
        return self.LAB_HOME / "mlflow"

    @property
    def mlflow_db_uri(self) -> str:
        return "sqlite:///" + (self.mlflow_dir / "mlflow.db").as_posix()

    @property
    def mlflow_artifacts_dir(self) -> Path:
        return self.mlflow_dir / "artifacts"

    @property
    def crm_db_path(self) -> Path:
        return self.LAB_HOME / "crm" / "crm.db"

    @property
    def tools_dir(self) -> Path:
        return self.LAB_HOME / "tools"

    @property
    def reports_dir(self) -> Path:
        return self.LAB_HOME / "reports"

    @property
    def run_dir(self) -> Path:
        return self.LAB_HOME / "run"


#: Values `.env.example` and common guides ship in place of a real secret.
PLACEHOLDER_SECRETS = frozenset(
    {"<generated>", "generated", "changeme", "change-me", "admin", "password", "secret", "token"}
)
MIN_SECRET_LENGTH = 16


def secret_problem(key: str, value: str) -> str | None:
    """Why `value` cannot serve as the secret `key` (one line naming it), or None if it can.

    An empty value is not judged here: each service says what an unset secret means for it.
    """
    if not value:
        return None
    if value.strip().lower() in PLACEHOLDER_SECRETS or value.strip().startswith("<"):
        problem = f"is the placeholder {value!r}"
    elif len(value) < MIN_SECRET_LENGTH:
        problem = f"is only {len(value)} characters (at least {MIN_SECRET_LENGTH})"
    else:
        return None
    return (
        f"{key} {problem}: run `lab init --force` to generate one into .env, "
        "or set a random value of 16+ characters"
    )


def require_secrets(settings: Settings, *keys: str) -> None:
    """Refuse to start with a placeholder or short secret: `SettingsError` naming the key."""
    for key in keys:
        problem = secret_problem(key, str(getattr(settings, key)))
        if problem:
            raise SettingsError(problem)


def is_loopback(host: str) -> bool:
    """True for an address only this machine reaches (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def load_settings(env_file: Path | None = None, **overrides: Any) -> Settings:
    """Read settings; a bad value raises `SettingsError` with one line naming the key."""
    path = env_file if env_file is not None else env_file_path()
    try:
        return Settings(_env_file=path if path.is_file() else None, **overrides)  # type: ignore[call-arg]
    except ValidationError as exc:
        raise SettingsError(_one_line(exc)) from None


def _one_line(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "settings"
        value = err.get("input")
        shown = f" (got {value!r})" if isinstance(value, str | int | float) else ""
        parts.append(f"{key}: {err['msg']}{shown}")
    return "bad setting " + "; ".join(parts) + " — fix it in .env or the environment"
