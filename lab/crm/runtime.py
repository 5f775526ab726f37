"""What the CRM's handlers get as their one dependency (`crm`): the open store and the metrics.

One object, not one dependency each: Litestar resolves two or more dependencies in a task group
(and a `State` parameter copies the app state), which cost more than the SQLite write itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from lab.crm.metrics import CrmMetrics
from lab.crm.store import CustomerStore


@dataclass
class CrmRuntime:
    metrics: CrmMetrics
    _store: CustomerStore | None = None

    @property
    def store(self) -> CustomerStore:
        if self._store is None:
            raise RuntimeError("the CRM store is not open (outside the app's lifespan)")
        return self._store

    def open(self, store: CustomerStore) -> None:
        self._store = store
        self.metrics.watch_store(store.counts)

    def close(self) -> None:
        self.metrics.watch_store(None)
        if self._store is not None:
            self._store.close()
            self._store = None

    def provide(self) -> CrmRuntime:
        return self
