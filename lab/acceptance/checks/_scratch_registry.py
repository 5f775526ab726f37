"""The scratch MLflow registry of M3.promote, driven by one helper process per check.

The helper runs in the lab's interpreter (never the project's) with `-I`, at a low CPU priority,
and imports MLflow once for every step of the check (importing MLflow costs about two seconds of
CPU: one process per step paid it three times). It reads one action per line on stdin and
answers one JSON line on stdout:

- `seed` registers a champion whose run scores an `accuracy` of 0;
- a number logs that score as the champion run's latest `accuracy`;
- `-` only reads.

Each answer holds the champion's version and every version, as they were before any score was
logged. The store is named by `MLFLOW_TRACKING_URI` too, and the helper runs in the scratch
folder: MLflow never falls back to its default store (an SQLite `mlflow.db` created and
migrated in the working folder, seconds of CPU for nothing).
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import IO, Any

from lab.acceptance.checks._base import CheckError, short
from lab.acceptance.checks._priority import low_priority

__all__ = ["ScratchRegistry"]

_HELPER = """
import json, sys
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
uri, name = sys.argv[1], sys.argv[2]
client = MlflowClient(tracking_uri=uri, registry_uri=uri)
for line in sys.stdin:
    action = line.strip()
    try:
        if action == "seed":
            run = client.create_run(client.create_experiment("grader-seed"))
            client.log_metric(run.info.run_id, "accuracy", 0.0)
            client.set_terminated(run.info.run_id)
            client.create_registered_model(name)
            seeded = client.create_model_version(name, run.info.artifact_uri, run.info.run_id)
            client.set_registered_model_alias(name, "champion", seeded.version)
        try:
            champion = client.get_model_version_by_alias(name, "champion")
        except MlflowException:
            champion = None
        if champion is not None and action not in ("seed", "-"):
            client.log_metric(champion.run_id, "accuracy", float(action), step=10**6)
        found = client.search_model_versions(f"name='{name}'")
        answer = {"champion": int(champion.version) if champion else None,
                  "versions": sorted(int(v.version) for v in found)}
    except Exception as exc:
        answer = {"error": f"{type(exc).__name__}: {exc}"}
    print("registry: " + json.dumps(answer), flush=True)
"""
_ANSWER = "registry: "


def _registry(uri: str, name: str, folder: Path, log: IO[bytes]) -> subprocess.Popen[str]:
    """Start the helper (the lab's interpreter, `-I`, low priority) in `folder`."""
    line, flags = low_priority([sys.executable, "-I", "-c", _HELPER, uri, name])
    env = {**os.environ, "MLFLOW_ALLOW_FILE_STORE": "true", "MLFLOW_TRACKING_URI": uri,
           "MLFLOW_REGISTRY_URI": uri}  # fmt: skip
    return subprocess.Popen(
        line, cwd=folder, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
        text=True, creationflags=flags,
    )  # fmt: skip


class ScratchRegistry:
    """The helper for the store at `uri` (a folder of `folder`), until `close()`."""

    def __init__(self, uri: str, name: str, folder: Path) -> None:
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        self._proc = _registry(uri, name, folder, self._log)
        self._answers: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True, name="scratch-registry")
        self._reader.start()

    def _read(self) -> None:
        assert self._proc.stdout is not None
        with self._proc.stdout:
            for line in self._proc.stdout:
                if line.startswith(_ANSWER):
                    self._answers.put(line[len(_ANSWER) :])
        self._answers.put(None)

    def ask(self, action: str, timeout: float) -> Any:
        """The answer to `action` (see the module doc); CheckError if none comes in time."""
        assert self._proc.stdin is not None
        with contextlib.suppress(OSError):  # a helper that died says so below
            self._proc.stdin.write(action + "\n")
            self._proc.stdin.flush()
        try:
            line = self._answers.get(timeout=timeout)
        except queue.Empty:
            raise CheckError(f"the scratch registry did not answer within {timeout:g} s") from None
        if line is None:
            raise CheckError(f"cannot use the scratch registry: {short(self._last_error(), 140)}")
        answer = json.loads(line)
        if "error" in answer:
            raise CheckError(f"cannot use the scratch registry: {short(answer['error'], 140)}")
        return answer

    def _last_error(self) -> str:
        self._log.seek(max(self._log.seek(0, os.SEEK_END) - 4096, 0))
        lines = self._log.read().decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else "(no output)"

    def close(self) -> None:
        with contextlib.suppress(OSError):
            if self._proc.stdin is not None:
                self._proc.stdin.close()  # the helper ends at the end of its input
        try:
            self._proc.wait(2.0)
        except subprocess.TimeoutExpired:  # still busy (a step that ran out of time)
            self._proc.kill()
            self._proc.wait()
        self._reader.join(5.0)
        self._log.close()

    def __enter__(self) -> ScratchRegistry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
