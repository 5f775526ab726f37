"""`lab home`: one local page for the lab, the course and the dashboard (lab/home/app.py).

The app is built by `create_app(settings)`; `lab home` (lab/cli/home_cmd.py) runs it on
127.0.0.1:HOME_PORT as the Procfile's `home` process.
"""

from lab.home.app import create_app

__all__ = ["create_app"]
