"""The one registry of check kinds; each check module adds its kinds with `@REGISTRY.kind`."""

from __future__ import annotations

from lab.acceptance.checks._base import Registry

REGISTRY = Registry()
