"""Rollout steps on the registry and the API: start, promote, abort, rollback.

Every step is recorded as MLflow tags, and every step can be undone: the champion before a
promotion is kept as the registered model's `rollout.previous_champion` tag.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from lab.settings import Settings
from lab.training import mlflow_registry
from lab.training.signing import sign_share

PREVIOUS_CHAMPION_TAG = "rollout.previous_champion"


class RolloutError(RuntimeError):
    """A rollout step cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class Pair:
    champion_version: str
    champion_label: str
    challenger_version: str | None
    challenger_label: str | None


def _label(version: Any) -> str:
    return (version.tags or {}).get(mlflow_registry.LABEL_TAG) or f"registry-v{version.version}"


def client_for(settings: Settings) -> Any:
    tracking = mlflow_registry.resolve_tracking(settings)
    return mlflow_registry.configure(tracking)


def current_pair(client: Any, name: str) -> Pair:
    champion = mlflow_registry.get_alias_version(client, name, mlflow_registry.CHAMPION)
    if champion is None:
        raise RolloutError(f"{name} has no champion: run `lab train` first")
    challenger = mlflow_registry.get_alias_version(client, name, mlflow_registry.CHALLENGER)
    return Pair(
        champion_version=str(champion.version),
        champion_label=_label(champion),
        challenger_version=None if challenger is None else str(challenger.version),
        challenger_label=None if challenger is None else _label(challenger),
    )


def _stamp(client: Any, name: str, version: str, decision: str) -> None:
    now = datetime.now(UTC).isoformat(timespec="seconds")
    client.set_model_version_tag(name, version, "rollout.decision", decision)
    client.set_model_version_tag(name, version, "rollout.decided_at", now)


def record_split(client: Any, name: str, share: float, key: str) -> str:
    """Keep the challenger's share in the registry, beside the alias, signed with `key`
    (LAB_SIGNING_KEY: the API applies no unsigned share); say what was recorded."""
    value = mlflow_registry.format_share(share)
    client.set_registered_model_tag(name, mlflow_registry.SPLIT_TAG, sign_share(key, name, value))
    return (
        f"recorded in the registry: {name} tag {mlflow_registry.SPLIT_TAG}={value} "
        f"({share:.0%}, signed)"
    )


def start(client: Any, name: str, version: str) -> Pair:
    if not version.isdigit():
        raise RolloutError(f"version must be a registry version number, got {version!r}")
    try:
        client.get_model_version(name, version)
    except Exception:
        raise RolloutError(f"{name} has no version {version}") from None
    pair = current_pair(client, name)
    if pair.champion_version == version:
        raise RolloutError(f"version {version} is already the champion")
    client.set_registered_model_alias(name, mlflow_registry.CHALLENGER, version)
    _stamp(client, name, version, "challenger")
    return current_pair(client, name)


def promote(client: Any, name: str, reason: str) -> Pair:
    pair = current_pair(client, name)
    if pair.challenger_version is None:
        raise RolloutError("there is no challenger to promote: `lab rollout start VERSION`")
    client.set_registered_model_tag(name, PREVIOUS_CHAMPION_TAG, pair.champion_version)
    client.set_registered_model_alias(name, mlflow_registry.CHAMPION, pair.challenger_version)
    client.delete_registered_model_alias(name, mlflow_registry.CHALLENGER)
    _stamp(client, name, pair.challenger_version, f"promoted: {reason}")
    _stamp(client, name, pair.champion_version, f"replaced by v{pair.challenger_version}")
    return current_pair(client, name)


def abort(client: Any, name: str, reason: str) -> Pair:
    pair = current_pair(client, name)
    if pair.challenger_version is None:
        raise RolloutError("there is no challenger to abort")
    client.delete_registered_model_alias(name, mlflow_registry.CHALLENGER)
    _stamp(client, name, pair.challenger_version, f"aborted: {reason}")
    return current_pair(client, name)


def rollback(client: Any, name: str) -> Pair:
    model = client.get_registered_model(name)
    previous = (model.tags or {}).get(PREVIOUS_CHAMPION_TAG)
    if not previous:
        raise RolloutError("no previous champion is recorded: nothing to roll back to")
    pair = current_pair(client, name)
    client.set_registered_model_alias(name, mlflow_registry.CHAMPION, previous)
    client.set_registered_model_tag(name, PREVIOUS_CHAMPION_TAG, pair.champion_version)
    _stamp(client, name, previous, f"rolled back from v{pair.champion_version}")
    return current_pair(client, name)


def tell_api(settings: Settings, share: float | None) -> str:
    """Set the API's traffic split (when given) and make it reload the aliases now."""
    headers = {"Authorization": f"Bearer {settings.ADMIN_TOKEN}"}
    notes = []
    try:
        with httpx.Client(base_url=settings.api_url, headers=headers, timeout=30) as api:
            if share is not None:
                r = api.post("/admin/split", json={"share": share})
                notes.append(f"split {share:.0%}: HTTP {r.status_code}")
            r = api.post("/admin/reload")
            notes.append(f"reload: HTTP {r.status_code}")
    except httpx.HTTPError as exc:
        return (
            f"the API at {settings.api_url} did not answer ({exc.__class__.__name__}); it reads "
            "the aliases and the recorded split from the registry when it starts and at every "
            f"poll (MODEL_POLL_SECONDS={settings.MODEL_POLL_SECONDS:g})"
        )
    return ", ".join(notes)
