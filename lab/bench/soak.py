"""`lab bench --soak`: `lab load` at a steady rate for minutes; memory, files and answers.

Starts MLflow, trains, starts the CRM and the API (each a real process on a free port in a
temporary LAB_HOME), sends `lab load` traffic at RATE requests/s for MINUTES, and samples the
API's and the CRM's resident memory (RSS) and open file descriptors every few seconds. The
figures: RSS growth from the end of the first minute (warm-up: imports, caches, the drift
window filling) to the end, the range of open descriptors after the first minute, and every
answer that is not what the docs promise (lab.bench.reliability).
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lab.bench import reliability, targets
from lab.net import free_ports
from lab.observability import load as load_mod

WARMUP_SECONDS = 60.0
SAMPLE_EVERY = 5.0
RSS_GROWTH_LIMIT = 0.10
FDS_SLACK = 4  # open descriptors may move this much (a keep-alive connection, a log rotation)


@dataclass
class ProcessFigures:
    name: str
    samples: list[reliability.Sample] = field(default_factory=list)
    warmup: float = WARMUP_SECONDS  # growth is measured from here (a short run: a quarter)

    def _after_warmup(self) -> list[reliability.Sample]:
        late = [s for s in self.samples if s.at >= self.warmup]
        return late or self.samples[-1:]

    @property
    def first_after_warmup(self) -> reliability.Sample | None:
        late = self._after_warmup()
        return late[0] if late else None

    @property
    def rss_start(self) -> int:
        return self._after_warmup()[0].rss if self.samples else 0

    @property
    def rss_end(self) -> int:
        return self.samples[-1].rss if self.samples else 0

    @property
    def rss_growth(self) -> float:
        return (self.rss_end - self.rss_start) / self.rss_start if self.rss_start else 0.0

    @property
    def fds_range(self) -> tuple[int, int]:
        fds = [s.fds for s in self._after_warmup()]
        return (min(fds), max(fds)) if fds else (0, 0)


@dataclass
class SoakResult:
    minutes: float
    rate: float
    processes: list[ProcessFigures]
    answers: reliability.AnswerFigures
    unexpected: int  # lab load's own count: no answer, good request not 2xx, bad one not 4xx
    elapsed: float
    ledger: reliability.LedgerFigures = field(default_factory=reliability.LedgerFigures)

    @property
    def passed(self) -> bool:
        return (
            self.unexpected == 0
            and self.ledger.clean
            and all(
                p.rss_growth < RSS_GROWTH_LIMIT and p.fds_range[1] - p.fds_range[0] <= FDS_SLACK
                for p in self.processes
            )
        )


def run(
    minutes: float = 10.0,
    rate: float = 50.0,
    step: Callable[[str], None] = lambda _: None,
    keep: Path | None = None,
    crm_key: Callable[[str, str], str] | None = None,
) -> SoakResult:
    home = Path(tempfile.mkdtemp(prefix="lab-soak-")) if keep is None else keep
    logs = home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    keys = ("mlflow", "api", "crm")
    ports = dict(zip(keys, free_ports(len(keys)), strict=True))
    env = targets.lab_env(
        home, MLFLOW_PORT=ports["mlflow"], API_PORT=ports["api"], CRM_PORT=ports["crm"]
    )
    api, crm = (f"http://127.0.0.1:{ports[k]}" for k in ("api", "crm"))
    try:
        with contextlib.ExitStack() as stack:
            step("starting MLflow")
            mlflow = f"http://127.0.0.1:{ports['mlflow']}"
            stack.enter_context(
                targets.started(
                    "mlflow", ["-m", "lab", "mlflow"], env, logs, f"{mlflow}/health", 300
                )
            )
            step("training and registering the model (lab train)")
            targets.train(env, logs)
            step("starting the CRM and the API")
            procs = {
                "crm": stack.enter_context(
                    targets.started("crm", ["-m", "lab", "crm"], env, logs, f"{crm}/health", 60)
                ),
                "api": stack.enter_context(
                    targets.started("api", ["-m", "lab", "serve"], env, logs, f"{api}/ready", 120)
                ),
            }
            plan = load_mod.LoadPlan(rate=rate, duration=minutes * 60, timeout=10.0)
            traffic = reliability.Traffic(plan, api, crm).start()
            warmup = min(WARMUP_SECONDS, minutes * 60 / 4)
            figures = {name: ProcessFigures(name, warmup=warmup) for name in procs}
            while traffic.running():
                at = traffic.elapsed()
                for name, proc in procs.items():
                    got = reliability.sample(proc.proc.pid, at)
                    if got is not None:
                        figures[name].samples.append(got)
                step(f"soak: {at / 60:.1f} of {minutes:g} min, {len(traffic.results)} requests")
                time.sleep(SAMPLE_EVERY)
            results = traffic.join()
            for name, proc in procs.items():
                got = reliability.sample(proc.proc.pid, traffic.elapsed())
                if got is not None:
                    figures[name].samples.append(got)
        key = crm_key or reliability.api_crm_key(env["CRM_TOKEN"])
        ledger = reliability.check_ledger(results, home / "crm" / "crm.db", key)
    finally:
        if keep is None:
            shutil.rmtree(home, ignore_errors=True)
    summary = traffic.summary
    return SoakResult(
        minutes=minutes,
        rate=rate,
        processes=list(figures.values()),
        answers=reliability.AnswerFigures.of(results),
        unexpected=summary.unexpected if summary else len(results),
        elapsed=summary.elapsed if summary else 0.0,
        ledger=ledger,
    )
