"""Checks that read the learner's files: `.env`, the model file and its manifest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dotenv import dotenv_values
from pydantic import Field

from lab.acceptance.checks._base import (
    CheckContext,
    CheckFailed,
    Lane,
    Params,
    Schedule,
    short,
    training_command,
)
from lab.acceptance.checks.facts import Fact
from lab.acceptance.checks.kinds import CHECK_KINDS
from lab.files import sha256_file
from lab.settings import Settings, SettingsError, load_settings

PLACEHOLDERS = {"", "<generated>", "changeme", "change-me", "admin", "password", "secret"}


class EnvParams(Params):
    schedule = Schedule(Lane.ISOLATED)
    secrets: list[str] = Field(
        default_factory=lambda: ["CRM_TOKEN", "ADMIN_TOKEN", "GRAFANA_ADMIN_PASSWORD"]
    )


@CHECK_KINDS.kind("env_file", EnvParams)
def env_file(params: EnvParams, ctx: CheckContext) -> str:
    """`.env` holds the keys of `.env.example`, every key is known, the settings load, and the
    secrets are set."""
    path = ctx.env_file
    if not path.is_file():
        raise CheckFailed(f"no {path} (run `lab init` to write it from .env.example)")
    values = dotenv_values(path, encoding="utf-8")
    example_path = ctx.project_file(".env.example")
    example = dotenv_values(example_path, encoding="utf-8") if example_path.is_file() else {}
    known = set(Settings.model_fields) | set(example)
    unknown = sorted(k for k in values if k not in known)
    if unknown:
        raise CheckFailed(f"{path.name} has unknown keys: {', '.join(unknown)} (a typo?)")
    if not example:
        raise CheckFailed(f"no .env.example in {ctx.project_dir} to say which keys .env needs")
    absent = sorted(k for k in example if k not in values)
    if absent:
        raise CheckFailed(
            f"{path.name} lacks keys of .env.example: {', '.join(absent[:5])} "
            "(was it written from it? `lab init --force`)"
        )
    try:
        settings = load_settings(env_file=path)
    except SettingsError as exc:
        raise CheckFailed(short(str(exc))) from None
    weak = [k for k in params.secrets if str(getattr(settings, k, "")).lower() in PLACEHOLDERS]
    if weak:
        raise CheckFailed(f"secrets not set (or a well-known default): {', '.join(weak)}")
    return (
        f"{path}: the {len(example)} keys of .env.example, all known, settings load, "
        f"{len(params.secrets)} secrets set"
    )


def read_manifest(path: Path, train: str = "`lab train`") -> dict[str, Any]:
    """The manifest `lab train` writes beside the model (JSON: `file`, `sha256`, `label`,
    `registry_version`, ...), read here so the grader never imports the code it grades."""
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckFailed(f"no manifest at {path}: run {train}") from None
    except (OSError, ValueError) as exc:
        raise CheckFailed(f"manifest {path} is unreadable: {exc}") from None
    if not isinstance(found, dict):
        raise CheckFailed(f"manifest {path} is unreadable: not a JSON object")
    return found


#: Where a project may keep its model instead of its LAB_HOME (the course's README names it).
PROJECT_MODEL = "app/models/sample_model.json"


def project_manifest(ctx: CheckContext) -> Path:
    """The manifest under the project's LAB_HOME, else the project's `app/models/` one when
    only that exists (never a file of the grader's own lab: graded.project_settings)."""
    own = ctx.settings.manifest_path
    beside = ctx.project_file(PROJECT_MODEL)
    if not own.is_file() and (beside.is_file() or beside.with_suffix(".joblib").is_file()):
        return beside
    return own


#: the label of the model the project's last training wrote (its manifest's `label`)
MODEL_LABEL: Fact[str | None] = Fact("model_label")


def model_label(ctx: CheckContext) -> str | None:
    """The manifest's label (None: no readable manifest, or no label in it)."""

    def read() -> str | None:
        try:
            label = read_manifest(project_manifest(ctx)).get("label")
        except CheckFailed:
            return None
        return None if label is None else str(label)

    return ctx.facts.once(MODEL_LABEL, None, read)


@CHECK_KINDS.kind("model_files")
def model_files(_params: Params, ctx: CheckContext) -> str:
    """The model file and its manifest exist and the file's SHA-256 equals the manifest's."""
    manifest_path = project_manifest(ctx)
    manifest = read_manifest(manifest_path, training_command(ctx))
    model_path = manifest_path.parent / str(manifest.get("file", "sample_model.joblib"))
    if not model_path.is_file():
        raise CheckFailed(f"the manifest names {model_path}, which does not exist")
    actual = sha256_file(model_path)
    expected = str(manifest.get("sha256"))
    if actual != expected:
        raise CheckFailed(f"{model_path.name} SHA-256 {actual[:12]}… ≠ manifest {expected[:12]}…")
    label = model_label(ctx)
    return (
        f"{model_path.name} SHA-256 {actual[:12]}… matches the manifest "
        f"(label {label}, registry version {manifest.get('registry_version')})"
    )
