"""Child processes, the same way on every OS: the one place that starts, waits for and stops them.

- a wrapper's child in the foreground: `run_foreground`, `replace_or_run` (lab.procs.foreground);
- a lab, a server or a sandboxed command as a child: `spawn_group` starts it in a process group
  of its own, its output in a log (bounded with `Bound`), `stop_tree` stops it and everything it
  started, `tree_rss` and `peak_rss` read its tree's memory (lab.procs.group);
- `wait_http` waits for a 2xx from it (or its exit, with its log tail), `wait_each` for several
  URLs under one deadline (lab.procs.wait);
- `tail` reads a log's last lines (lab.procs.output).
"""

from lab.procs.foreground import (
    KILL_AFTER,
    idle_forever,
    quote_arg,
    replace_or_run,
    run_foreground,
    terminate,
)
from lab.procs.group import (
    Child,
    alive,
    peak_rss,
    spawn_group,
    stop_processes,
    stop_tree,
    tree_rss,
    wait_gone,
)
from lab.procs.output import Bound, tail
from lab.procs.wait import Answer, NotReady, wait_each, wait_http

__all__ = [
    "KILL_AFTER",
    "Answer",
    "Bound",
    "Child",
    "NotReady",
    "alive",
    "idle_forever",
    "peak_rss",
    "quote_arg",
    "replace_or_run",
    "run_foreground",
    "spawn_group",
    "stop_processes",
    "stop_tree",
    "tail",
    "terminate",
    "tree_rss",
    "wait_each",
    "wait_gone",
    "wait_http",
]
