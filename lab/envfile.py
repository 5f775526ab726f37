"""`lab init`: write `.env` from `.env.example`, generating every secret."""

from __future__ import annotations

import secrets
from pathlib import Path

from lab.files import write_atomic
from lab.settings import lab_file

GENERATED = "<generated>"
EXAMPLE_NAME = ".env.example"


class EnvFileExistsError(FileExistsError):
    pass


def find_example(start: Path | None = None) -> Path:
    """`.env.example` in the working folder, else the lab's own (the checkout's, or a wheel's)."""
    here = (start or Path.cwd()) / EXAMPLE_NAME
    if here.is_file():
        return here
    shipped = lab_file(EXAMPLE_NAME)
    if shipped is not None and shipped.is_file():
        return shipped
    raise FileNotFoundError(f"no {EXAMPLE_NAME} found in {here.parent} or in the lab's own files")


def render(example_text: str) -> str:
    """Copy the example, replacing each `<generated>` value by a fresh random secret.

    Empty values are dropped from the output (so the typed defaults apply) except where
    the example documents them; comments are kept so `.env` stays self-explanatory.
    """
    out = []
    for line in example_text.splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#") and value.strip() == GENERATED:
            line = f"{key}={new_secret()}"
        out.append(line)
    return "\n".join(out) + "\n"


def write_env(target: Path, *, force: bool = False, example: Path | None = None) -> Path:
    if target.exists() and not force:
        raise EnvFileExistsError(f"{target} exists; use --force to overwrite it (secrets change)")
    text = render((example or find_example()).read_text(encoding="utf-8"))
    write_atomic(target, text, mode=0o600)  # secrets: owner only (Windows: ACLs apply)
    return target


def new_secret() -> str:
    return secrets.token_urlsafe(24)


def add_secret(target: Path, key: str) -> str:
    """Append `KEY=<fresh secret>` to the env file `target` (created owner-only if missing).

    For a secret added to `.env.example` after the learner's `.env` was written: the process
    that needs it generates it once, and every later start reads the same value.
    """
    value = new_secret()
    text = target.read_text(encoding="utf-8") if target.is_file() else ""
    if text and not text.endswith("\n"):
        text += "\n"
    write_atomic(target, f"{text}{key}={value}\n", mode=0o600)
    return value
