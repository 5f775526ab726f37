"""Checks that read the learner's files: `.env`, the model file and its manifest."""

from __future__ import annotations

from dotenv import dotenv_values
from pydantic import Field

from lab.acceptance.checks._base import CheckContext, CheckFailed, Params, short
from lab.acceptance.checks.registry import REGISTRY
from lab.settings import Settings, SettingsError, load_settings
from lab.training.manifest import ModelIntegrityError, read_manifest, sha256_file

PLACEHOLDERS = {"", "<generated>", "changeme", "change-me", "admin", "password", "secret"}


class EnvParams(Params):
    isolated = True
    secrets: list[str] = Field(
        default_factory=lambda: ["CRM_TOKEN", "ADMIN_TOKEN", "GRAFANA_ADMIN_PASSWORD"]
    )


@REGISTRY.kind("env_file", EnvParams)
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
