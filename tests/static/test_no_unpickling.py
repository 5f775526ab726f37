"""No code path of the lab unpickles: a static scan of every module under lab/.

Forbidden: importing pickle, cloudpickle, dill or shelve; `joblib.load`; any MLflow
`load_model` (pickle and cloudpickle flavours, and skops with types read from `MLmodel`);
`pandas.read_pickle`; `allow_pickle=True`; skops with `trusted=True`. The lab loads models with
`lab.training.model_io.load_skops` (skops, the lab's trusted types) only.

Not scanned: the courses' learner projects (`lab/courses/*/project/`, the project a learner
builds: the course's M2 has the learner load `sample_model.joblib` in their own code); that code
runs in the learner's project, never in a lab process.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

LAB = Path(__file__).resolve().parents[2] / "lab"
PICKLING_MODULES = {"pickle", "_pickle", "cloudpickle", "dill", "shelve", "joblib"}
#: Of PICKLING_MODULES, names that do not deserialize (writing the course's joblib file).
ALLOWED_NAMES = {("joblib", "dump")}


def violations(source: str, where: str = "<source>") -> list[str]:
    """Each place in `source` that could unpickle, as `where:line: what`."""
    found = []

    def add(node: ast.AST, what: str) -> None:
        found.append(f"{where}:{getattr(node, 'lineno', 0)}: {what}")

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                if top in PICKLING_MODULES - {"joblib"}:
                    add(node, f"import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module:
            top = node.module.split(".")[0]
            for alias in node.names:
                if top in PICKLING_MODULES and (top, alias.name) not in ALLOWED_NAMES:
                    add(node, f"from {node.module} import {alias.name}")
                if top == "mlflow" and alias.name == "load_model":
                    add(node, f"from {node.module} import load_model")
        elif isinstance(node, ast.Call):
            chain = _dotted(node.func)
            parts = chain.split(".") if chain else []
            pickling = len(parts) >= 2 and parts[0] in PICKLING_MODULES
            if pickling and (parts[0], parts[-1]) not in ALLOWED_NAMES:
                add(node, f"{chain}(...)")
            if parts and parts[-1] in ("load_model", "read_pickle", "_load_pyfunc"):
                add(node, f"{chain}(...)")
            for keyword in node.keywords:
                value = keyword.value
                if (
                    isinstance(value, ast.Constant)
                    and value.value is True
                    and keyword.arg
                    in (
                        "allow_pickle",
                        "trusted",
                    )
                ):
                    add(node, f"{chain}({keyword.arg}=True)")
    return found


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def lab_modules() -> list[Path]:
    return sorted(p for p in LAB.rglob("*.py") if not _learner_code(p))


def _learner_code(path: Path) -> bool:
    """A file of a course's learner project: lab/courses/<course>/project/..."""
    parts = path.relative_to(LAB).parts
    return len(parts) > 3 and parts[0] == "courses" and parts[2] == "project"


def test_no_code_path_of_the_lab_unpickles() -> None:
    modules = lab_modules()
    assert len(modules) > 100  # the scan sees the package
    found = [v for p in modules for v in violations(p.read_text("utf-8"), str(p.relative_to(LAB)))]
    assert found == []


@pytest.mark.parametrize(
    "source",
    [
        "import pickle",
        "import cloudpickle as cp",
        "from pickle import loads",
        "from joblib import load",
        "import joblib\njoblib.load(path)",
        "import mlflow.sklearn\nmlflow.sklearn.load_model(uri)",
        "import mlflow\nmlflow.pyfunc.load_model(uri)",
        "from mlflow.pyfunc import load_model",
        "import pandas as pd\npd.read_pickle(p)",
        "import numpy as np\nnp.load(p, allow_pickle=True)",
        "import skops.io\nskops.io.loads(b, trusted=True)",
    ],
)
def test_the_scan_finds_each_way_to_unpickle(source: str) -> None:
    assert violations(source), source


def test_the_scan_allows_what_the_lab_does() -> None:
    allowed = (
        "import joblib\njoblib.dump(model, path)\n"
        "import skops.io\nskops.io.loads(data, trusted=TRUSTED_TYPES)\n"
        "import numpy as np\nnp.load(p)\n"
    )
    assert violations(allowed) == []
