"""The one table of check kinds; each check module adds its kinds with `@CHECK_KINDS.kind`."""

from __future__ import annotations

from lab.acceptance.checks._base import CheckKinds

CHECK_KINDS = CheckKinds()
