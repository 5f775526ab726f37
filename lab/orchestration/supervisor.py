"""Run the Procfile through honcho as one child process, and stop its whole tree.

honcho runs in its own session (POSIX) or process group (Windows), so only `lab up` decides
when it stops. Its output goes to the terminal and to LAB_HOME/run/lab.log (rotated by size,
logfile.py).

Stopping, POSIX: SIGTERM to honcho, which signals each process group it started (MLflow's
uvicorn child included) and kills them after 5 s; then every remembered process still alive is
terminated. Windows: honcho would only kill the `cmd.exe` it started and leave the Python below
it running, so `lab up` terminates every remembered process itself.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

import psutil

from lab.orchestration.logfile import RotatingLog
from lab.orchestration.proctree import ProcessTree, ProcRecord

STOPPED = re.compile(rb"\| (?P<name>[\w-]+)\.\d+ stopped \(rc=(?P<rc>-?\d+)\)")
HONCHO_GRACE = 15.0  # honcho itself escalates to SIGKILL after 5 s


class Supervisor:
    def __init__(
        self,
        procfile_text: str,
        run_dir: Path,
        env: Mapping[str, str],
        names: tuple[str, ...] = (),
        echo: Callable[[bytes], None] | None = None,
    ) -> None:
        self.run_dir = run_dir
        self.procfile = run_dir / "Procfile"
        self.log_path = run_dir / "lab.log"
        self._procfile_text = procfile_text
        self._env = dict(env)
        self._names = names
        self._echo = echo
        self._proc: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None
        self.tree = ProcessTree(os.getpid())
        self.exited: dict[str, int] = {}  # process name -> exit code, as honcho reports it

    def command(self) -> list[str]:
        empty_env = self.run_dir / "honcho.env"
        return [
            sys.executable, "-m", "honcho", "start",
            "--procfile", str(self.procfile),
            "--app-root", str(self.run_dir),
            "--env", str(empty_env),
            *self._names,
        ]  # fmt: skip

    def start(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.procfile.write_text(self._procfile_text, encoding="utf-8")
        # Each process reads .env itself (the environment wins); honcho must not inject it.
        (self.run_dir / "honcho.env").write_text(
            "# lab up: empty on purpose; every process reads .env itself\n", encoding="utf-8"
        )
        kwargs: dict = {}
        if sys.platform == "win32":
            kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
        else:
            kwargs["start_new_session"] = True
        self._proc = subprocess.Popen(
            self.command(),
            env=self._env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            **kwargs,
        )
        log = RotatingLog(self.log_path)
        self._reader = threading.Thread(
            target=self._pump, args=(self._proc.stdout, log), name="honcho-output", daemon=True
        )
        self._reader.start()

    def _pump(self, stream: IO[bytes], log: RotatingLog) -> None:
        with log:
            for line in iter(stream.readline, b""):
                log.write(line)
                match = STOPPED.search(line)
                if match:
                    self.exited.setdefault(match["name"].decode(), int(match["rc"]))
                if self._echo is not None:
                    self._echo(line)

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    def poll(self) -> int | None:
        """honcho's exit code once it has stopped (it stops when any process stops)."""
        return None if self._proc is None else self._proc.poll()

    def refresh(self) -> list[ProcRecord]:
        """Remember the processes running now; return every remembered one still alive."""
        self.tree.refresh()
        return self.tree.records()

    def stop(self) -> list[psutil.Process]:
        """Stop honcho and every process below it; return survivors (normally none)."""
        self.tree.refresh()
        proc = self._proc
        if proc is not None and proc.poll() is None and sys.platform != "win32":
            with contextlib.suppress(OSError):
                proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(HONCHO_GRACE)
        survivors = self.tree.stop(grace=3.0)
        if proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(5)
        if self._reader is not None:
            self._reader.join(5)
        return survivors
