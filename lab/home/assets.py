"""The page's files: its own (lab/home/static) and plotly.js from the plotly wheel, served from
disk by the page's server; the browser fetches nothing from anywhere else."""

from __future__ import annotations

import importlib.util
from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"
TEMPLATES = Path(__file__).resolve().parent / "templates"


class AssetMissing(FileNotFoundError):
    pass


def plotly_js() -> Path:
    """plotly.min.js as the plotly wheel ships it (found without importing plotly: memory)."""
    spec = importlib.util.find_spec("plotly")
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        path = Path(folder) / "package_data" / "plotly.min.js"
        if path.is_file():
            return path
    raise AssetMissing("plotly is not installed: `pip install plotly` (a dependency of the lab)")
