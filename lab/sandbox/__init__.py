"""Running a learner's code in a sandbox: bubblewrap (`bwrap`) on Linux.

`lab grade` treats everything a learner wrote as hostile: its processes, its train and test
commands, its interpreter. Each such command runs through a `Sandbox`, which turns it into a
`bwrap` command line where the command sees:

- the system (`/usr`, `/etc` and the `/bin`, `/lib*` links) and the lab's install (its package,
  the checkout's `config/`, `docs/`, `Procfile`, the interpreters' prefixes), read-only;
- the learner's copy as the only writable tree (plus the scratch folders a check names);
- a private, empty `/tmp` and `HOME` (`/tmp/home`), its own `/proc` and `/dev`;
- a PID namespace: it sees no other process, and when the sandbox's first process ends (or the
  grader kills it, or the grader dies: `--die-with-parent`) every process in it is killed;
- an environment cleared to `BASE_ENV` plus the keys `EXTRA_KEYS` allows (nothing is inherited
  from the grader's environment);
- no capabilities (`--cap-drop ALL`), its own IPC and host name, a new terminal session.

It does **not** cut the network: the learner's services must answer the grader on loopback, so
the sandbox shares the machine's network (see docs/grading.md).

`Sandbox(isolated=False)` is the explicit no-sandbox of `lab grade --trust-workspaces`: the same
environment allow-list and bounds, run directly as the grader's user.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "BASE_ENV",
    "EXTRA_KEYS",
    "HOME",
    "Prepared",
    "Sandbox",
    "SandboxUnavailable",
    "bwrap_path",
    "lab_install",
]

#: The sandbox's private home (inside its private /tmp).
HOME = "/tmp/home"
#: The whole environment a sandboxed command starts from (written down: docs/grading.md).
BASE_ENV: dict[str, str] = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": HOME,
    "TMPDIR": "/tmp",
    "USER": "learner",
    "LOGNAME": "learner",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "TZ": "UTC",
    "TERM": "dumb",
    "NO_COLOR": "1",
    "COLUMNS": "160",
    "PYTHONUNBUFFERED": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
    "GIT_PYTHON_REFRESH": "quiet",
    "MPLBACKEND": "Agg",
}
#: Keys a caller may add for one command: the lab's settings of that learner's own lab (its
#: LAB_HOME, ports, URLs, model name) and a scratch MLflow store. Anything else is refused.
EXTRA_KEYS = re.compile(
    r"^(LAB_[A-Z0-9_]+|[A-Z]+_(HOST|PORT|URL)|MLFLOW_TRACKING_URI|MLFLOW_ALLOW_FILE_STORE"
    r"|MODEL_NAME|MODEL_VERSION|VIRTUAL_ENV)$"
)
#: The private /tmp (and HOME) is memory: at most this much of it.
TMP_BYTES = 256 * 1024 * 1024
#: System folders bound read-only (a symlink such as /bin -> usr/bin is recreated as a link).
SYSTEM = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
#: Files and folders of the lab's checkout the lab reads at run time (`lab.settings.lab_roots`).
CHECKOUT_FILES = ("pyproject.toml", "config", "docs", "Procfile", ".env.example")


class SandboxUnavailable(RuntimeError):
    """No sandbox can run here (not Linux, or no bubblewrap); the message says what to do."""


def bwrap_path() -> str:
    """The bubblewrap binary, or `SandboxUnavailable` saying how to get one."""
    if not sys.platform.startswith("linux"):
        raise SandboxUnavailable(
            f"no sandbox on {sys.platform}: bubblewrap runs on Linux only (grade on a Linux "
            "machine, or pass --trust-workspaces to run the workspaces' code unsandboxed)"
        )
    found = shutil.which("bwrap")
    if found is None:
        raise SandboxUnavailable(
            "bubblewrap is not installed (`apt install bubblewrap`), so the workspaces' code "
            "cannot be sandboxed (or pass --trust-workspaces to run it unsandboxed)"
        )
    return found


def lab_install() -> tuple[Path, ...]:
    """What of the lab's install a sandboxed `python -I -m lab ...` needs, read-only: the
    package, the checkout's run-time files (never the whole checkout: an instructor may keep
    files there), and the prefixes of the interpreter running the lab."""
    package = Path(__file__).resolve().parent.parent
    paths = [package]
    checkout = package.parent
    if (checkout / "pyproject.toml").is_file():  # an editable install: its run-time files only
        paths += [checkout / name for name in CHECKOUT_FILES if (checkout / name).exists()]
    paths += [Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable).parent]
    return _unique(paths)


def _unique(paths: Sequence[Path]) -> tuple[Path, ...]:
    """`paths` absolute, each once, without any path inside another one."""
    absolute = sorted({Path(p).absolute() for p in paths}, key=lambda p: len(p.parts))
    kept: list[Path] = []
    for path in absolute:
        if not any(path == k or k in path.parents for k in kept):
            kept.append(path)
    return tuple(kept)


@dataclass(frozen=True)
class Prepared:
    """A command ready for `subprocess.Popen(argv, env=env, pass_fds=pass_fds)`."""

    argv: list[str]
    env: dict[str, str]
    pass_fds: tuple[int, ...] = ()


@dataclass(frozen=True)
class Sandbox:
    tree: Path  # the learner's copy: the only writable tree
    readonly: tuple[Path, ...] = field(default_factory=lab_install)
    isolated: bool = True  # False: `--trust-workspaces`, run without a sandbox
    bwrap: str = "bwrap"
    #: the outer PID of a running sandbox whose PID namespace commands join (to control the
    #: processes of the learner's lab: `lab stop crm` must see the PIDs `lab up` recorded)
    join_pid: int | None = None

    @classmethod
    def create(
        cls, tree: Path, extra_readonly: Sequence[Path] = (), *, trust: bool = False
    ) -> Sandbox:
        """A sandbox for `tree`; `SandboxUnavailable` unless one can run (or `trust`)."""
        readonly = _unique([*lab_install(), *extra_readonly])
        if trust:
            return cls(tree.resolve(), readonly, isolated=False)
        return cls(tree.resolve(), readonly, bwrap=bwrap_path())

    def joining(self, pid: int) -> Sandbox:
        return Sandbox(self.tree, self.readonly, self.isolated, self.bwrap, pid)

    def environment(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """`BASE_ENV` plus `extra`; a key `EXTRA_KEYS` does not allow is a ValueError."""
        env = dict(BASE_ENV)
        for key, value in (extra or {}).items():
            if key not in BASE_ENV and not EXTRA_KEYS.match(key):
                raise ValueError(f"{key} may not be passed into the sandbox")
            env[key] = str(value)
        python_bin = str(Path(sys.executable).parent)
        env["PATH"] = f"{python_bin}:{env['PATH']}"  # `python` is the lab's unless named
        return env

    def prepare(
        self, cmd: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None = None,
        writable: Sequence[Path] = (),
    ) -> Prepared:  # fmt: skip
        """`cmd` run in `cwd` inside the sandbox, `writable` folders bound read-write too."""
        environment = self.environment(env)
        if not self.isolated:
            return Prepared(list(cmd), environment)
        args = [self.bwrap, "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
        args += ["--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--hostname", "sandbox"]
        fds: tuple[int, ...] = ()
        if self.join_pid is None:
            args.append("--unshare-pid")
        else:
            fd = os.open(f"/proc/{self.join_pid}/ns/pid", os.O_RDONLY)
            fds = (fd,)
            args += ["--pidns", str(fd)]
        for folder in SYSTEM:
            path = Path(folder)
            if path.is_symlink():
                args += ["--symlink", str(path.readlink()), folder]
            elif path.is_dir():
                args += ["--ro-bind", folder, folder]
        args += ["--proc", "/proc", "--dev", "/dev", "--size", str(TMP_BYTES), "--tmpfs", "/tmp"]
        args += ["--dir", HOME]
        for path in self.readonly:
            if path.exists() and not _under_system(path):
                args += ["--ro-bind", str(path), str(path)]
        for path in _unique([self.tree, *writable]):
            args += ["--bind", str(path), str(path)]
        args += ["--chdir", str(cwd), "--", *cmd]
        return Prepared(args, environment, fds)

    def to_json(self) -> str:
        return json.dumps(
            {
                "tree": str(self.tree),
                "readonly": [str(p) for p in self.readonly],
                "isolated": self.isolated,
                "bwrap": self.bwrap,
                "join_pid": self.join_pid,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Sandbox:
        data = json.loads(text)
        return cls(
            Path(data["tree"]), tuple(Path(p) for p in data["readonly"]), bool(data["isolated"]),
            str(data["bwrap"]), data.get("join_pid"),
        )  # fmt: skip

    def describe(self) -> str:
        return "bubblewrap sandbox" if self.isolated else "graded without a sandbox"


def _under_system(path: Path) -> bool:
    return any(path == Path(s) or Path(s) in path.parents for s in SYSTEM if Path(s).is_dir())
