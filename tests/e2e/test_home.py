"""`lab home` in headless Chromium against one real `lab up` (the reference lab, no Grafana):
the processes, a restart from the page, the dashboard against Prometheus, zh-TW (with a font
that has its glyphs), and a page of another origin that tries to act."""

from __future__ import annotations

import http.server
import json
import math
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.home_lab import GLYPHS_JS, RUNNING, Lab, answers, artifacts, running_lab
from tests.support import free_port, wait_until

pytestmark = pytest.mark.e2e
#: The panels the course asks for, by their titles in config/grafana/dashboards/mlops-lab.json.
COUNTS, QUANTILES, HISTOGRAM = (
    "Total predictions",
    "Prediction latency p50 / p95 / p99",
    "Prediction latency distribution",
)


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[Lab]:
    with running_lab(tmp_path_factory.mktemp("home-lab")) as running:
        yield running


def _open(page, lab: Lab, lang: str = "en") -> None:
    page.goto(lab.home + "/")
    if lang != "en":
        page.click(f"#lang-{lang}")
    page.wait_for_selector(f'#task[data-lang="{lang}"]')
    page.wait_for_selector('#processes tr[data-process="api"]')


def test_the_page_lists_the_five_processes_with_their_states(page, lab: Lab) -> None:
    _open(page, lab)
    states = {n: p["state"] for n, p in lab.record()["processes"].items()}
    rows = page.locator("#processes tbody tr")
    shown = {rows.nth(i).get_attribute("data-process"): rows.nth(i).get_attribute("data-state")
             for i in range(rows.count())}  # fmt: skip
    for name in RUNNING:
        assert shown[name] == states[name] == "healthy", shown
    assert shown["grafana"] == "missing tool"
    grafana = page.locator('#links [data-link="grafana"]')  # greyed, with the reason
    assert (
        grafana.evaluate("n => n.tagName") == "SPAN" and "lab fetch grafana" in grafana.inner_text()
    )
    assert page.locator('#links a[data-link="prometheus"]').get_attribute("href") == lab.url(
        "PROMETHEUS_PORT"
    )
    page.screenshot(path=artifacts() / "home-en-full.png", full_page=True)
    page.locator("#lab").screenshot(path=artifacts() / "home-en-lab.png")


def test_restart_crm_from_the_page_gives_a_new_healthy_crm(page, lab: Lab) -> None:
    _open(page, lab)
    before = lab.record()["processes"]["crm"]["pid"]
    page.click('#processes tr[data-process="crm"] button[data-action="restart"]')
    page.wait_for_function(
        "old => { const r = document.querySelector('#processes tr[data-process=\"crm\"]');"
        " return r && r.dataset.state === 'healthy' && r.dataset.pid"
        " && r.dataset.pid !== String(old); }",
        arg=before,
        timeout=90_000,
    )
    after = lab.record()["processes"]["crm"]
    assert after["pid"] != before and after["state"] == "healthy"
    assert str(after["pid"]) == page.locator('#processes tr[data-process="crm"]').get_attribute(
        "data-pid"
    )
    assert answers(lab.url("CRM_PORT") + "/health")
    assert "crm is healthy" in page.locator("#action-result").inner_text()


def _prometheus_sum(lab: Lab, target: dict, last_only: bool = False) -> float:
    """The same query, sent to Prometheus by the test: the sum of every value it answers (of
    each series' last value for a single-number panel)."""
    body = httpx.get(lab.url("PROMETHEUS_PORT") + target["path"], params=target["params"],
                     timeout=10).json()  # fmt: skip
    assert body["status"] == "success", body
    total = 0.0
    for item in body["data"]["result"]:
        points = [item["value"]] if "value" in item else item["values"]
        values = [float(v) for _, v in points if math.isfinite(float(v))]
        total += sum(values[-1:] if last_only else values)
    return total


def _drawn_sum(page, title: str) -> float:
    """The sum of every value plotly drew in the panel `title` (its traces' y, z or value)."""
    return page.evaluate(
        """title => {
          const box = document.querySelector(`.panel[data-title="${title}"]`);
          let total = 0;
          for (const trace of box.data) {
            const values = trace.type === "indicator" ? [trace.value]
              : trace.type === "heatmap" ? trace.z.flat() : trace.y;
            for (const v of values) if (v !== null && Number.isFinite(v)) total += v;
          }
          return total;
        }""",
        title,
    )


def test_after_lab_load_the_panels_hold_what_prometheus_answers(page, lab: Lab) -> None:
    lab.lab("load", "--duration", "20", timeout=120)
    query = "sum(prediction_requests_total)"
    wait_until(lambda: httpx.get(lab.url("PROMETHEUS_PORT") + "/api/v1/query",
                                 params={"query": query}, timeout=5).json()["data"]["result"],
               60, "Prometheus to have scraped the load")  # fmt: skip
    _open(page, lab)
    end = int(page.evaluate("Date.now() / 1000")) - 10  # every sample up to `end` is stored
    page.evaluate("end => { window.labHome.end = end; return refreshDashboard(); }", end)
    page.wait_for_selector(f'#panels[data-end="{end}"]')
    panels = {p["title"]: p for p in page.evaluate("window.labDashboard.panels")}
    for title in (COUNTS, QUANTILES, HISTOGRAM):
        panel = panels[title]
        assert any(t["series"] for t in panel["targets"]), f"{title}: no series"
        last_only = panel["type"] == "stat"  # a stat panel shows the last value
        expected = sum(_prometheus_sum(lab, t, last_only) for t in panel["targets"])
        assert expected > 0, title
        assert _drawn_sum(page, title) == pytest.approx(expected, rel=1e-9), title
    assert panels[COUNTS]["targets"][0]["expr"] == query
    page.locator("#dashboard").screenshot(path=artifacts() / "home-en-dashboard.png")

    # no Grafana here: `lab check` grades the same panels through the page (the fallback)
    result = json.loads(lab.lab("check", "-m", "M5", "--no-tests", "--json", "-", ok=(0, 1, 3, 4)))
    graded = {c["id"]: c for m in result["modules"] for c in m["criteria"]}
    assert graded["M5.dashboard_seen"]["status"] == "pass", graded["M5.dashboard_seen"]
    assert "M5.grafana" not in graded and "fallback" in result["not_applicable"]["M5.grafana"]


def test_zh_tw_shows_the_task_in_traditional_chinese_with_real_glyphs(page, lab: Lab) -> None:
    _open(page, lab, "zh-TW")
    module = page.locator("#task").get_attribute("data-module")
    task = page.locator("#task").inner_text()
    expected = (Path(__file__).resolve().parents[2] / "lab" / "courses" / "default" / "tasks"
                / f"{module}.zh-TW.md").read_text(encoding="utf-8")  # fmt: skip
    heading = expected.splitlines()[0].lstrip("# ").split("：")[0]
    assert heading.split()[-1] in task, task[:300]
    assert page.locator("nav a[href='#course']").inner_text() == "課程"
    glyphs = page.evaluate(GLYPHS_JS, ["#task", ""])
    assert glyphs["chars"] >= 10, glyphs
    assert glyphs["tofu"] == 0 and glyphs["distinct"] == glyphs["chars"], (
        f"zh-TW text renders as boxes ({glyphs}): install a CJK font (Debian: fonts-noto-cjk)"
    )
    page.screenshot(path=artifacts() / "home-zh-TW-full.png", full_page=True)
    page.locator("#course").screenshot(path=artifacts() / "home-zh-TW-course.png")
    page.locator("#lab").screenshot(path=artifacts() / "home-zh-TW-lab.png")


def test_the_glyph_check_sees_boxes(page, lab: Lab) -> None:
    """The check above can fail: characters no font has (private use) count as boxes."""
    _open(page, lab)
    glyphs = page.evaluate(GLYPHS_JS, ["#task", "\ue001\ue002\ue003 監控"])
    assert glyphs["chars"] == 5 and glyphs["tofu"] >= 3, glyphs


def test_try_it_shows_the_answer_its_request_id_and_its_log_lines(page, lab: Lab) -> None:
    _open(page, lab)
    page.wait_for_selector("#predict-fields input[name=tenure_months]")
    page.fill("#segment-form input[name=customer_id]", "CUST_TEST_007")
    page.click("#segment-form button")
    page.wait_for_function("() => document.querySelector('#try-request-id').textContent !== ''")
    rid = page.locator("#try-request-id").inner_text()
    assert page.locator("#try-status").inner_text() == "200"
    assert json.loads(page.locator("#try-body").inner_text())["customer_id"] == "CUST_TEST_007"
    lines = page.locator("#try-log").inner_text().splitlines()
    assert lines and all(rid in line for line in lines) and "step 4/4" in lines[-1]
    page.click("#predict-form button")
    page.wait_for_function(
        "rid => document.querySelector('#try-request-id').textContent !== rid", arg=rid
    )
    assert page.locator("#try-status").inner_text() == "200"
    assert "probability" in json.loads(page.locator("#try-body").inner_text())
    page.locator("#try").screenshot(path=artifacts() / "home-en-try.png")


class _Other(http.server.BaseHTTPRequestHandler):
    """Another site: its page tries to restart the CRM through `lab home`."""

    target = ""

    def do_GET(self) -> None:
        html = f"""<!doctype html><body><form id="f" method="post" action="{self.target}">
        </form><script>
        fetch("{self.target}", {{method: "POST", mode: "no-cors",
               headers: {{"Content-Type": "text/plain"}}, body: "{{}}"}})
          .then(() => {{ document.title = "sent"; }}, () => {{ document.title = "sent"; }});
        </script></body>"""
        body = html.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_a_post_from_a_page_of_another_origin_is_refused(page, lab: Lab) -> None:
    before = lab.record()["processes"]["api"]
    target = lab.home + "/api/lab/api/restart"
    handler = type("Other", (_Other,), {"target": target})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    refused: list[int] = []
    page.on("response", lambda r: refused.append(r.status) if r.url == target else None)
    try:
        page.goto(f"http://127.0.0.1:{server.server_port}/")
        page.wait_for_function("() => document.title === 'sent'")
        page.evaluate("document.getElementById('f').submit()")  # a plain form post, too
        page.wait_for_load_state()
    finally:
        server.shutdown()
        server.server_close()
    assert refused and all(status == 403 for status in refused), refused
    assert "not this page" in page.content()
    after = lab.record()["processes"]["api"]
    assert (after["pid"], after["restarts"], after["request"]) == (
        before["pid"], before["restarts"], before["request"],
    )  # fmt: skip
    # the page's own token is not enough from elsewhere: the Origin is checked too
    token = httpx.get(lab.home + "/").text.split('name="lab-token" content="')[1].split('"')[0]
    answer = httpx.post(target, headers={"X-Lab-Token": token, "Origin": "http://evil.test"})
    assert answer.status_code == 403
