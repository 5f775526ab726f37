"""A child that ignores every polite stop (SIGTERM, SIGINT, Ctrl-Break): only a kill ends it.

python stubborn_child.py PIDFILE
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

for name in ("SIGTERM", "SIGINT", "SIGBREAK"):
    if hasattr(signal, name):
        signal.signal(getattr(signal, name), signal.SIG_IGN)
Path(sys.argv[1]).write_text(str(os.getpid()), encoding="utf-8")
while True:
    time.sleep(1)
