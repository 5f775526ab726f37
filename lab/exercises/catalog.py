"""The six exercises: what each is, and which solved modules it needs to run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT_DIR = HERE / "project"
TASKS_DIR = HERE / "tasks"


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    title_zh_tw: str
    needs: tuple[str, ...]  # modules whose solutions the workspace holds so this one can run
    services: tuple[str, ...]  # the lab's processes its criteria talk to

    def task_file(self, lang: str = "en") -> Path:
        return TASKS_DIR / (f"{self.id}.zh-TW.md" if lang == "zh-TW" else f"{self.id}.md")

    def task_link(self) -> str:
        """Where a starter's TODO points (the task text copied into every workspace)."""
        return f"tasks/{self.id}.md"


EXERCISES: dict[str, Exercise] = {
    e.id: e
    for e in (
        Exercise("M1", "Environment", "環境設定", ("M3",), ("mlflow",)),
        Exercise("M2", "Model serving", "模型服務", ("M1", "M3"), ("mlflow", "api")),
        Exercise(
            "M3", "Training and versioning", "訓練與版本管理", ("M1", "M2"), ("mlflow", "api")
        ),
        Exercise("M4", "CRM integration", "CRM 整合", ("M1", "M2", "M3"), ("mlflow", "crm", "api")),
        Exercise(
            "M5",
            "Monitoring",
            "監控",
            ("M1", "M2", "M3", "M4"),
            ("mlflow", "crm", "api", "prometheus"),
        ),
        Exercise(
            "M6",
            "Tests and CI",
            "測試與 CI",
            ("M1", "M2", "M3", "M4", "M5"),
            ("mlflow", "crm", "api"),
        ),
    )
}


#: Criteria of one module that also grade another module's code (M1.train runs M3's training,
#: M3.served asks M2's /health): that module's starter may fail them too.
USES: dict[str, tuple[str, ...]] = {
    "M1.train": ("M3",),
    "M2.predict": ("M3",),
    "M2.up": ("M1",),
    "M3.served": ("M2",),
}


class UnknownExercise(KeyError):
    def __str__(self) -> str:
        return f"no exercise {self.args[0]!r} (there are {', '.join(EXERCISES)})"


def get(module_id: str) -> Exercise:
    try:
        return EXERCISES[module_id.upper()]
    except KeyError:
        raise UnknownExercise(module_id) from None
