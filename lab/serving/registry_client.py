"""Asking the MLflow registry which version an alias points at (async, REST, tight timeouts).

The poll runs every few seconds, so it uses one pooled `httpx.AsyncClient` and MLflow's REST
API directly: a down or slow registry costs at most the timeout, never MLflow's long retries.
"""

from __future__ import annotations

import os
import re
from collections.abc import Generator
from dataclasses import replace

import httpx

from lab.serving.loading import RegistryVersion
from lab.training.mlflow_registry import (
    CHALLENGER,
    CHAMPION,
    LABEL_TAG,
    SHA256_TAG,
    SPLIT_TAG,
    format_share,
    parse_share,
)
from lab.training.model_io import TREE_TAG
from lab.training.signing import SIGNATURE_TAG, check_share, sign_share

TIMEOUT = httpx.Timeout(5.0, connect=2.0)
_HOW = {
    CHAMPION: "run `lab train` (it promotes the first model)",
    CHALLENGER: "no rollout is running (`lab rollout start VERSION` starts one)",
}
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class RegistryUnavailable(RuntimeError):
    """The registry could not be asked (down, refusing, answering nonsense)."""


class NoAliasedVersion(LookupError):
    """The registry answers, but the model or its alias does not exist."""


class RegistryClient:
    def __init__(
        self, tracking_uri: str, model_name: str, alias: str = "champion", signing_key: str = ""
    ) -> None:
        self.tracking_uri = tracking_uri.rstrip("/")
        self.model_name = model_name
        self.alias = alias
        self._signing_key = signing_key  # LAB_SIGNING_KEY: the split is signed and checked
        self._http: httpx.AsyncClient | None = None
        if self.tracking_uri.startswith(("http://", "https://")):
            self._http = httpx.AsyncClient(
                base_url=self.tracking_uri, timeout=TIMEOUT, auth=_auth(), trust_env=False
            )

    async def resolve(self, alias: str | None = None) -> RegistryVersion:
        """The version `alias` (default: the client's) points at, with its label, run and
        digest tags (one request: cheap enough to poll)."""
        alias = alias or self.alias
        if self._http is None:
            raise RegistryUnavailable(
                f"the tracking URI {self.tracking_uri!r} is not an MLflow server URL; "
                "the API reads the registry through `lab mlflow` (http://...)"
            )
        found = await self._get(
            "/api/2.0/mlflow/registered-models/alias",
            {"name": self.model_name, "alias": alias},
            alias,
        )
        mv = found.get("model_version") or {}
        version = str(mv.get("version", ""))
        if not version.isdigit():
            raise RegistryUnavailable(f"MLflow answered an alias without a version: {found!r:.200}")
        tags = {t.get("key"): t.get("value") for t in mv.get("tags", []) if isinstance(t, dict)}
        return RegistryVersion(
            name=self.model_name,
            version=version,
            label=str(tags.get(LABEL_TAG) or f"{self.model_name}-v{version}"),
            download_uri="",
            run_id=str(mv.get("run_id") or ""),
            sha256=_sha256_tag(tags.get(SHA256_TAG)),
            tree_sha256=_sha256_tag(tags.get(TREE_TAG)),
            signature=str(tags[SIGNATURE_TAG]) if tags.get(SIGNATURE_TAG) else None,
        )

    async def split_share(self) -> float | None:
        """The challenger's share recorded beside the alias (the registered model's SPLIT_TAG),
        or None when none is recorded. A share the lab did not sign (LAB_SIGNING_KEY) raises
        `UnsignedStateError`: any MLflow client can set the tag."""
        if self._http is None:
            return None
        found = await self._get("/api/2.0/mlflow/registered-models/get", {"name": self.model_name})
        model = found.get("registered_model") or {}
        tags = {t.get("key"): t.get("value") for t in model.get("tags", []) if isinstance(t, dict)}
        if SPLIT_TAG not in tags:
            return None
        return parse_share(check_share(self._signing_key, self.model_name, str(tags[SPLIT_TAG])))

    async def record_split(self, share: float) -> None:
        """Keep `share` in the registry (where an API that starts later reads it)."""
        if self._http is None:
            raise RegistryUnavailable(f"no MLflow server at {self.tracking_uri!r} to record it in")
        value = sign_share(self._signing_key, self.model_name, format_share(share))
        body = {"name": self.model_name, "key": SPLIT_TAG, "value": value}
        try:
            response = await self._http.post("/api/2.0/mlflow/registered-models/set-tag", json=body)
        except httpx.HTTPError as exc:
            raise RegistryUnavailable(
                f"MLflow at {self.tracking_uri} does not answer ({type(exc).__name__})"
            ) from None
        if response.status_code != 200:
            raise RegistryUnavailable(
                f"MLflow at {self.tracking_uri} answered {response.status_code} to set-tag"
            )

    async def has_alias(self, alias: str) -> bool:
        """Whether the registered model has `alias`, read from the model's own record.

        Asking `registered-models/alias` for a missing alias is a 400 in MLflow's log at every
        poll, which reads like an error to a learner; the model's record lists its aliases."""
        if self._http is None:
            return False
        found = await self._get("/api/2.0/mlflow/registered-models/get", {"name": self.model_name})
        aliases = (found.get("registered_model") or {}).get("aliases") or []
        return any(isinstance(a, dict) and a.get("alias") == alias for a in aliases)

    async def with_download_uri(self, found: RegistryVersion) -> RegistryVersion:
        """`found` with where its artifacts are (asked only when the version is to be loaded)."""
        where = await self._get(
            "/api/2.0/mlflow/model-versions/get-download-uri",
            {"name": found.name, "version": found.version},
        )
        return replace(found, download_uri=str(where.get("artifact_uri", "")))

    async def _get(self, path: str, params: dict[str, str], alias: str | None = None) -> dict:
        assert self._http is not None
        try:
            response = await self._http.get(path, params=params)
        except httpx.HTTPError as exc:
            raise RegistryUnavailable(
                f"MLflow at {self.tracking_uri} does not answer ({type(exc).__name__}); "
                "start it with `lab mlflow`"
            ) from None
        if response.status_code == 404 or _alias_not_found(response):
            raise NoAliasedVersion(
                f"MLflow has no `{alias or self.alias}` alias on model {self.model_name!r}: "
                + _HOW.get(alias or self.alias, "")
            )
        if response.status_code != 200:
            raise RegistryUnavailable(
                f"MLflow at {self.tracking_uri} answered {response.status_code} for {path}"
            )
        try:
            body = response.json()
        except ValueError:
            raise RegistryUnavailable(f"MLflow answered non-JSON for {path}") from None
        if not isinstance(body, dict):
            raise RegistryUnavailable(f"MLflow answered an unexpected body for {path}")
        return body

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()


def _alias_not_found(response: httpx.Response) -> bool:
    """MLflow answers a missing alias of an existing model with 400 INVALID_PARAMETER_VALUE
    ("Registered model alias challenger not found."); a missing model is a 404."""
    if response.status_code != 400:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return (
        isinstance(body, dict)
        and body.get("error_code") == "INVALID_PARAMETER_VALUE"
        and "alias" in str(body.get("message", ""))
        and "not found" in str(body.get("message", ""))
    )


def _sha256_tag(value: object) -> str | None:
    """The tag's digest; a tag that is not a SHA-256 (hex) can never match, so keep it as is
    and let the check refuse the model with both values shown."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip().lower()
    return text if _HEX64.match(text) else str(value)[:80]


def _auth() -> httpx.Auth | None:
    """MLflow's own client credentials, when the tracking server needs them."""
    token = os.environ.get("MLFLOW_TRACKING_TOKEN")
    if token:
        return _Bearer(token)
    user, password = (os.environ.get(f"MLFLOW_TRACKING_{k}") for k in ("USERNAME", "PASSWORD"))
    if user and password:
        return httpx.BasicAuth(user, password)
    return None


class _Bearer(httpx.Auth):
    def __init__(self, token: str):
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request
