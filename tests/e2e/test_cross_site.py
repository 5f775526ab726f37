"""A page from another origin, opened in headless Chromium, cannot change the CRM through the API.

The lab runs on loopback, where `/crm_segment_update` needs no token (the course's plain curl
line). A web page the learner opens can still make the browser send simple cross-origin
requests to 127.0.0.1: a form POST and `fetch(..., {mode: "no-cors"})`. Each must be refused
without writing; a JSON `fetch` needs a CORS preflight the API never grants. Real processes:
`lab crm` and `lab serve` (file model, no MLflow), and a page server on another port.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from lab.metric_names import PREDICTIONS
from lab.settings import load_settings
from tests.model_files import write_model
from tests.support import LabProcess, free_ports, lab_env, wait_until

pytestmark = pytest.mark.e2e
CUSTOMER = "CUST_TEST_007"

PAGE = """<!doctype html><html><head><title>cute cats</title></head><body>
<form id="f" method="POST" enctype="text/plain" action="{update}"><input name="a" value="b"></form>
<script>
const results = [];
const done = (what) => (r) => results.push(what + ":" + (r && r.type ? r.type : r));
Promise.allSettled([
  fetch("{update}", {{method: "POST", mode: "no-cors", body: "x"}})
       .then(done("no-cors"), done("no-cors-error")),
  fetch("{update}", {{method: "POST", mode: "no-cors",
         headers: {{"Content-Type": "application/x-www-form-urlencoded"}}, body: "a=b"}})
       .then(done("form-fetch"), done("form-fetch-error")),
  fetch("{update}", {{method: "POST", headers: {{"Content-Type": "application/json"}},
         body: "{{}}"}})
       .then(done("json"), done("json-error")),
]).then(() => {{ document.title = "fetched " + results.join(","); }});
</script></body></html>"""

#: a form whose text/plain body reads as the JSON /predict takes: {"features": [...], "x": "="}
PREDICT_PAGE = """<!doctype html><html><head><title>more cats</title></head><body>
<form id="f" method="POST" enctype="text/plain" action="{predict}">
<input name='{{"features": [1,2,3,4,5,6,7,8,9,10], "x": "' value='"}}'></form>
<script>
fetch("{predict}", {{method: "POST", mode: "no-cors",
       body: '{{"features": [1,2,3,4,5,6,7,8,9,10]}}'}})
  .then(() => {{ document.title = "fetched"; }}, () => {{ document.title = "fetched error"; }});
</script></body></html>"""


class _Page(BaseHTTPRequestHandler):
    def __init__(self, pages: dict[str, str], *args: object) -> None:
        self._pages = pages
        super().__init__(*args)  # type: ignore[arg-type]

    def do_GET(self) -> None:
        body = self._pages.get(self.path, "not here").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        return None


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    home = tmp_path_factory.mktemp("cross-site")
    api_port, crm_port, mlflow_port, page_port = free_ports(4)
    env = lab_env(
        home, API_PORT=api_port, CRM_PORT=crm_port, MLFLOW_PORT=mlflow_port,
        CRM_SEED_CUSTOMERS=0, MODEL_POLL_SECONDS=3600,
    )  # fmt: skip
    write_model(load_settings(env_file=home / "no.env", LAB_HOME=home), "v-xsite")
    urls = {
        "api": f"http://127.0.0.1:{api_port}",
        "crm": f"http://127.0.0.1:{crm_port}",
        "page": f"http://127.0.0.1:{page_port}/cats.html",
        "predict_page": f"http://127.0.0.1:{page_port}/more-cats.html",
    }
    update = f"{urls['api']}/crm_segment_update?customer_id={CUSTOMER}"
    pages = {
        "/cats.html": PAGE.format(update=update),
        "/more-cats.html": PREDICT_PAGE.format(predict=f"{urls['api']}/predict"),
    }
    server = ThreadingHTTPServer(("127.0.0.1", page_port), partial(_Page, pages))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    crm = LabProcess(["crm"], env, Path(home) / "crm.log")
    api = LabProcess(["serve"], env, Path(home) / "api.log")
    try:
        crm.wait_healthy(f"{urls['crm']}/health", timeout=120)
        api.wait_healthy(f"{urls['api']}/ready", timeout=120)
        yield urls
    finally:
        api.stop()
        crm.stop()
        server.shutdown()
        server.server_close()


def crm_writes(crm_url: str) -> float:
    """Every segment write the CRM received (applied, replayed or refused)."""
    text = httpx.get(f"{crm_url}/metrics", timeout=10).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("crm_segment_writes_total{")
    )


def predictions(api_url: str) -> float:
    """Every /predict the API counted (any outcome)."""
    text = httpx.get(f"{api_url}/metrics", timeout=10).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(f"{PREDICTIONS}{{")
    )


def test_a_page_from_another_origin_cannot_change_the_crm(lab, page) -> None:
    before = crm_writes(lab["crm"])
    page.goto(lab["page"])
    wait_until(lambda: page.title().startswith("fetched"), 30, "the page's fetches settled")
    fetched = page.title()
    assert "json-error" in fetched, fetched  # no CORS grant: the JSON request never left
    page.evaluate("document.getElementById('f').submit()")
    page.wait_for_url(re.compile(r".*/crm_segment_update.*"), timeout=30_000)
    answer = page.locator("body").inner_text()
    assert "a web page cannot update the CRM" in answer, answer
    assert crm_writes(lab["crm"]) == before  # nothing reached the CRM

    # the same update from a terminal (what the docs' curl line sends) writes
    done = httpx.post(f"{lab['api']}/crm_segment_update", params={"customer_id": CUSTOMER})
    assert done.status_code == 200, done.text
    assert crm_writes(lab["crm"]) == before + 1


def test_a_page_from_another_origin_cannot_drive_predict(lab, page) -> None:
    """A page's form POST (its text/plain body reads as JSON) and no-cors fetch to /predict are
    refused before the model runs: they would fill the metrics and the drift windows."""
    before = predictions(lab["api"])
    page.goto(lab["predict_page"])
    wait_until(lambda: page.title().startswith("fetched"), 30, "the page's fetch settled")
    page.evaluate("document.getElementById('f').submit()")
    page.wait_for_url(re.compile(r".*/predict$"), timeout=30_000)
    answer = page.locator("body").inner_text()
    assert "a web page cannot call /predict" in answer, answer
    assert predictions(lab["api"]) == before  # neither request was scored

    row = {"features": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}
    done = httpx.post(f"{lab['api']}/predict", json=row)  # a terminal still predicts
    assert done.status_code == 200, done.text
    assert predictions(lab["api"]) == before + 1
