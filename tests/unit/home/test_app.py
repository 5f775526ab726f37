"""The page's app: token and Origin on every action, loopback host names only, its own files,
the course in two languages, and no secret of `.env` in anything it shows."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from lab.home import create_app
from lab.orchestration.output import log_path

PORT = 18080
ORIGIN = f"http://127.0.0.1:{PORT}"
TOKEN = "page-token-for-the-tests"


@pytest.fixture
def client(settings_factory) -> Iterator[TestClient]:
    settings = settings_factory(HOME_PORT=PORT)
    app = create_app(settings, token=TOKEN)
    with TestClient(app, base_url=ORIGIN) as c:
        yield c


def test_the_page_embeds_its_token_and_forbids_framing(client) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert re.search(r'name="lab-token" content="page-token-for-the-tests"', page.text)
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize(("headers", "why"), [
    ({}, "no Origin"),
    ({"Origin": "http://evil.test", "X-Lab-Token": TOKEN}, "not this page"),
    ({"Origin": f"http://127.0.0.1:{PORT + 1}", "X-Lab-Token": TOKEN}, "not this page"),
    ({"Origin": ORIGIN}, "page token"),
    ({"Origin": ORIGIN, "X-Lab-Token": TOKEN[:-1]}, "page token"),
])  # fmt: skip
def test_an_action_without_the_pages_token_and_origin_is_refused(client, headers, why) -> None:
    for path in ("/api/lab/crm/restart", "/api/course/M4/check", "/api/try/segment"):
        answer = client.post(path, headers=headers, json={"customer_id": "CUST001"})
        assert answer.status_code == 403 and why in answer.json()["detail"], path


def test_with_token_and_origin_the_action_reaches_the_lab(client) -> None:
    headers = {"Origin": ORIGIN, "X-Lab-Token": TOKEN}
    answer = client.post("/api/lab/crm/restart", headers=headers)
    assert answer.status_code == 409 and "no lab is running" in answer.json()["detail"]
    answer = client.post("/api/lab/home/stop", headers=headers)
    assert answer.status_code == 409 and "lab stop home" in answer.json()["detail"]
    answer = client.post("/api/lab/crm/explode", headers=headers)
    assert answer.status_code == 409 and "unknown action" in answer.json()["detail"]


def test_another_host_name_is_refused(client) -> None:
    assert client.get("/health", headers={"Host": "evil.test"}).status_code == 400
    assert client.get("/health", headers={"Host": f"localhost:{PORT}"}).status_code == 200


def test_its_files_are_served_with_their_types_and_nothing_else(client) -> None:
    js = client.get("/static/plotly.min.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert client.get("/static/home.css").headers["content-type"].startswith("text/css")
    assert client.get("/static/home.html").status_code == 404
    assert client.get("/static/..%2Fapp.py").status_code == 404


def test_the_course_comes_in_english_and_traditional_chinese(client) -> None:
    en, zh = client.get("/api/course").json(), client.get("/api/course?lang=zh-TW").json()
    assert [m["id"] for m in en["modules"]] == ["M1", "M2", "M3", "M4", "M5", "M6"]
    assert (
        en["modules"][3]["title"] == "CRM integration" and zh["modules"][3]["title"] == "CRM 整合"
    )
    m5 = {c["id"]: c for c in en["modules"][4]["criteria"]}
    assert m5["M5.dashboard_seen"]["status"] == "unchecked"
    assert en["modules"][0]["badge"].startswith("data:image/svg+xml;base64,")
    task = client.get("/api/course/M4/task?lang=zh-TW").json()["html"]
    assert "<h1>" in task and "整合" in task
    assert client.get("/api/course/M9/task").status_code == 404
    assert client.get("/api/course?lang=fr").status_code == 400


def test_no_secret_of_env_is_shown(client, settings_factory) -> None:
    settings = client.app.state["settings"]
    log = log_path(settings.run_dir, "crm")
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(f"Authorization: Bearer {settings.CRM_TOKEN}\nadmin {settings.ADMIN_TOKEN}\n")
    shown = client.get("/api/lab").text
    assert "Bearer •••" in shown
    for key in ("CRM_TOKEN", "ADMIN_TOKEN", "GRAFANA_ADMIN_PASSWORD", "API_TOKEN"):
        assert str(getattr(settings, key)) not in shown, key
