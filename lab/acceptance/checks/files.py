"""Checks that read the learner's files: `.env`, the model file and its manifest."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from dotenv import dotenv_values
from pydantic import Field

from lab.acceptance.checks._base import CheckContext, CheckFailed, Params, short
from lab.acceptance.checks.kinds import CHECK_KINDS
from lab.files import sha256_file
from lab.settings import Settings, SettingsError, load_settings

PLACEHOLDERS = {"", "<generated>", "changeme", "change-me", "admin", "password", "secret"}


class EnvParams(Params):
    secrets: list[str] = Field(
        default_factory=lambda: ["CRM_TOKEN", "ADMIN_TOKEN", "GRAFANA_ADMIN_PASSWORD"]
    )


@CHECK_KINDS.kind("env_file", EnvParams)
def env_file(params: EnvParams, ctx: CheckContext) -> str:
    """`.env` exists, every key in it is known, the settings load, and the secrets are set."""
    path = ctx.env_file
    if not path.is_file():
        raise CheckFailed(f"no {path} (run `lab init` to write it)")
    values = dotenv_values(path, encoding="utf-8")
    unknown = sorted(k for k in values if k not in Settings.model_fields)
    if unknown:
        raise CheckFailed(f"{path.name} has unknown keys: {', '.join(unknown)} (a typo?)")
    try:
        settings = load_settings(env_file=path)
    except SettingsError as exc:
        raise CheckFailed(short(str(exc))) from None
    weak = [k for k in params.secrets if str(getattr(settings, k, "")).lower() in PLACEHOLDERS]
    if weak:
        raise CheckFailed(f"secrets not set (or a well-known default): {', '.join(weak)}")
    return f"{path.name}: {len(values)} keys, settings load, {len(params.secrets)} secrets set"


class ImportParams(Params):
    default_timeout = 120.0
    modules: list[str] = Field(min_length=1)


_IMPORT_SCRIPT = """
import importlib, json, sys
failed = {}
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed[name] = f"{type(exc).__name__}: {exc}"
print(json.dumps(failed))
"""


@CHECK_KINDS.kind("imports", ImportParams)
def imports(params: ImportParams, ctx: CheckContext) -> str:
    """Every listed Python module imports in the lab's interpreter (in a fresh process)."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", _IMPORT_SCRIPT, *params.modules],
            capture_output=True,
            text=True,
            timeout=ctx.timeout,
            cwd=ctx.project_dir,
        )
    except subprocess.TimeoutExpired:
        raise CheckFailed(f"importing took longer than {ctx.timeout:g} s") from None
    try:
        failed = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise CheckFailed(f"the import probe crashed: {short(done.stderr)}") from None
    if failed:
        first = next(iter(failed.items()))
        names = ", ".join(failed)
        raise CheckFailed(f"cannot import {names} ({short(first[1], 80)})")
    return f"{len(params.modules)} modules import: {', '.join(params.modules)}"


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest `lab train` writes beside the model (JSON: `file`, `sha256`, `label`,
    `registry_version`, ...), read here so the grader never imports the code it grades."""
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckFailed(f"no manifest at {path}: run `lab train`") from None
    except (OSError, ValueError) as exc:
        raise CheckFailed(f"manifest {path} is unreadable: {exc}") from None
    if not isinstance(found, dict):
        raise CheckFailed(f"manifest {path} is unreadable: not a JSON object")
    return found


@CHECK_KINDS.kind("model_files")
def model_files(_params: Params, ctx: CheckContext) -> str:
    """The model file and its manifest exist and the file's SHA-256 equals the manifest's."""
    manifest_path = ctx.settings.manifest_path
    manifest = read_manifest(manifest_path)
    model_path = manifest_path.parent / str(manifest.get("file", "sample_model.joblib"))
    if not model_path.is_file():
        raise CheckFailed(f"the manifest names {model_path}, which does not exist")
    actual = sha256_file(model_path)
    expected = str(manifest.get("sha256"))
    if actual != expected:
        raise CheckFailed(f"{model_path.name} SHA-256 {actual[:12]}… ≠ manifest {expected[:12]}…")
    label = manifest.get("label")
    ctx.memo["model_label"] = label
    return (
        f"{model_path.name} SHA-256 {actual[:12]}… matches the manifest "
        f"(label {label}, registry version {manifest.get('registry_version')})"
    )
