"""Checks that read the learner's files: `.env`, the model file and its manifest."""

from __future__ import annotations

import json
import subprocess
import sys

from dotenv import dotenv_values
from pydantic import Field

from lab.acceptance.checks._base import CheckContext, CheckFailed, Params, short
from lab.acceptance.checks.registry import REGISTRY
from lab.settings import Settings, SettingsError, load_settings
from lab.training.manifest import ModelIntegrityError, read_manifest, sha256_file

PLACEHOLDERS = {"", "<generated>", "changeme", "change-me", "admin", "password", "secret"}


class EnvParams(Params):
    secrets: list[str] = Field(
        default_factory=lambda: ["CRM_TOKEN", "ADMIN_TOKEN", "GRAFANA_ADMIN_PASSWORD"]
    )


@REGISTRY.kind("env_file", EnvParams)
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


@REGISTRY.kind("imports", ImportParams)
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


@REGISTRY.kind("model_files")
def model_files(_params: Params, ctx: CheckContext) -> str:
    """The model file and its manifest exist and the file's SHA-256 equals the manifest's."""
    manifest_path = ctx.settings.manifest_path
    try:
        manifest = read_manifest(manifest_path)
    except ModelIntegrityError as exc:
        raise CheckFailed(str(exc)) from None
    model_path = manifest_path.parent / manifest.file
    if not model_path.is_file():
        raise CheckFailed(f"the manifest names {model_path}, which does not exist")
    actual = sha256_file(model_path)
    if actual != manifest.sha256:
        raise CheckFailed(
            f"{model_path.name} SHA-256 {actual[:12]}… ≠ manifest {str(manifest.sha256)[:12]}…"
        )
    ctx.memo["model_label"] = manifest.label
    return (
        f"{model_path.name} SHA-256 {actual[:12]}… matches the manifest "
        f"(label {manifest.label}, registry version {manifest.registry_version})"
    )
