"""Running the whole lab: the Procfile under honcho, health, ports, process tree, run record.

`lab up`, `lab status`, `lab down` and `lab clean` (lab/cli/up_cmd.py) are built from these
modules, one concern each.
"""
