"""What a learner sees of the course project's service before and while writing it: a 501
names the TODO's file:line (and lab check says it is the TODO, not a crash), a crash logs its
traceback and relays what the CRM answered, and an unwritten M5 is said once, not per request.
Each case runs the workspace's own app in a fresh interpreter, in the workspace's folder."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from lab.acceptance.checks._http import unexpected
from lab.exercises import build

pytestmark = pytest.mark.integration  # each case starts the workspace's app in an interpreter

CLIENT = """
import json, logging, sys
import httpx
from litestar.testing import TestClient
from app.config import Config
from app.main import create_app
from tests.conftest import FakeCrm, SEGMENTS
logging.basicConfig(level=logging.INFO, stream=sys.stderr)
crm = FakeCrm()
config = Config(__import__("pathlib").Path("none"), "http://crm.test", "t", SEGMENTS)
"""


def run(ws: Path, body: str) -> tuple[dict, str]:
    script = CLIENT + textwrap.dedent(body)
    done = subprocess.run([sys.executable, "-c", script], cwd=ws, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


def test_a_501_names_the_todo_and_its_line_and_lab_check_says_so(tmp_path: Path) -> None:
    ws = build.create(tmp_path / "ws", "M4", git=False).root
    answer, _ = run(
        ws,
        """
        app = create_app(config, crm_transport=httpx.MockTransport(crm.handle))
        with TestClient(app) as c:
            r = c.post("/crm_segment_update", params={"customer_id": "CUST_TEST_007"})
        print(json.dumps({"status": r.status_code, "detail": r.json()["detail"]}))
    """,
    )
    assert answer["status"] == 501
    where = answer["detail"].rsplit("the TODO at ", 1)[1].rstrip(")")
    path, line = where.split(":")
    assert 'NotImplementedError("M4.' in (ws / path).read_text().splitlines()[int(line) - 1]
    request = httpx.Request("POST", "http://api.test/crm_segment_update")
    response = httpx.Response(501, json={"detail": answer["detail"]}, request=request)
    failed = unexpected(response, "the segment update")
    assert f"is not written yet: the TODO at {where}" in str(failed)
    assert failed.hint and where in failed.hint and "503" not in failed.hint


def test_a_crash_logs_its_traceback_and_says_what_the_crm_answered(tmp_path: Path) -> None:
    ws = build.create(tmp_path / "ws", "M4", variant="solution", git=False).root
    answer, log = run(
        ws,
        """
        from app.crm import CrmClient
        async def careless(self, method, path, **kwargs):  # a learner's call: no error handling
            response = await self.http.request(method, path, **kwargs)
            response.raise_for_status()
            return response.json()
        CrmClient.call = careless
        def refuse_writes(request):
            if request.method == "PUT":
                return httpx.Response(401, json={"detail": "bad token"})
            return crm.handle(request)
        app = create_app(config, crm_transport=httpx.MockTransport(refuse_writes))
        with TestClient(app) as c:
            r = c.post("/crm_segment_update", params={"customer_id": "CUST_TEST_007"})
        print(json.dumps({"status": r.status_code, "detail": r.json()["detail"]}))
    """,
    )
    assert answer["status"] == 500
    assert "Traceback (most recent call last)" in log and "HTTPStatusError" in log
    assert "HTTP 401" in answer["detail"] and "bad token" in answer["detail"]


def test_an_unwritten_m5_is_said_once_and_breaks_nothing(tmp_path: Path) -> None:
    ws = build.create(tmp_path / "ws", "M5", git=False).root
    fixture = ws / "fixtures" / "model"
    answer, log = run(
        ws,
        f"""
        import dataclasses
        fixture = __import__("pathlib").Path({str(fixture)!r})
        app = create_app(dataclasses.replace(config, fixture_dir=fixture))
        with TestClient(app) as c:
            codes = [c.get("/health").status_code for _ in range(3)]
            row = {{"features": [1.0] * 10}}
            codes += [c.post("/predict", json=row).status_code for _ in range(3)]
        print(json.dumps({{"codes": codes}}))
    """,
    )
    assert answer["codes"] == [200] * 6
    assert log.count("M5 not done yet") == 1, log
    assert "AttributeError" not in log
