# ruff: noqa: E501 - HTML lines read better whole
"""The HTML report's Jinja2 template: one file, inline CSS, badges as data: URIs."""

TEMPLATE = r"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>{{ r.title }}: {{ r.points }}/{{ r.max_points }}</title>
<style>
  :root { --pass: #1a7f37; --fail: #cf222e; --skip: #6e7781; --line: #d0d7de; }
  body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", "PingFang TC", "Microsoft JhengHei",
         "Noto Sans CJK TC", "Noto Sans TC", sans-serif;
         margin: 0 auto; max-width: 1100px; padding: 1.5rem; color: #1f2328; }
  h1 { margin: 0 0 .25rem; font-size: 1.6rem; }
  h2 { margin: 2rem 0 .5rem; font-size: 1.2rem; display: flex; gap: .75rem; align-items: center; }
  .zh { color: #57606a; font-weight: normal; }
  .summary { display: flex; flex-wrap: wrap; gap: 1.5rem; align-items: center; margin: 1rem 0; }
  .big { font-size: 2.2rem; font-weight: 700; }
  .counts span { margin-right: 1rem; }
  table { border-collapse: collapse; width: 100%; }
  th, td { border-bottom: 1px solid var(--line); padding: .45rem .5rem; text-align: left;
           vertical-align: top; }
  th { font-size: .8rem; text-transform: uppercase; color: #57606a; }
  td.num { text-align: right; white-space: nowrap; }
  .status { font-weight: 700; white-space: nowrap; }
  .status-pass { color: var(--pass); } .status-fail { color: var(--fail); }
  .status-skip { color: var(--skip); } .status-error { color: var(--fail); font-style: italic; }
  .observed { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .82rem;
              word-break: break-word; }
  .hint { margin-top: .35rem; padding: .35rem .5rem; background: #fff8c5; border-radius: 4px; }
  details { margin-top: 2rem; color: #57606a; font-size: .85rem; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
  dt { font-weight: 600; }
</style>
</head>
<body>
<header>
  <h1>{{ r.title }}</h1>
  <div class="summary">
    <img id="badge-total" class="badge" src="{{ badges.total }}" alt="{{ r.badge_label }}: {{ r.points }}/{{ r.max_points }}">
    <div><span class="big" id="total-points">{{ r.points }}</span> / <span id="total-max">{{ r.max_points }}</span> points
      (<span id="total-percent">{{ "%.1f"|format(r.percent) }}</span>%)</div>
    <div class="counts">
      <span class="status-pass">✔ <span id="count-pass">{{ r.counts.pass }}</span> passed</span>
      <span class="status-fail">✘ <span id="count-fail">{{ r.counts.fail }}</span> failed</span>
      <span class="status-skip">– <span id="count-skip">{{ r.counts.skip }}</span> skipped</span>
      <span class="status-error">! <span id="count-error">{{ r.counts.get("error", 0) }}</span> could not run</span>
    </div>
  </div>
  <p>project: <code>{{ r.project or r.project_dir }}</code></p>
  <p>{{ r.started_at }} · {{ "%.1f"|format(r.duration_seconds) }} s ·
     <span id="verdict">{{ verdict }}</span></p>
</header>
<main>
{% for m in r.modules %}
<section class="module" id="{{ m.id }}" data-module="{{ m.id }}">
  <h2><img class="badge" id="badge-{{ m.id }}" src="{{ badges[m.id] }}" alt="{{ m.id }}: {{ m.points }}/{{ m.max_points }}">
    <a href="{{ r.docs_base }}{{ m.docs }}">{{ m.id }} {{ m.title }}</a>
    <span class="zh" lang="zh-Hant-TW">{{ m.title_zh_tw }}</span>
    <span class="module-score"><span class="points">{{ m.points }}</span>/<span class="max">{{ m.max_points }}</span></span>
  </h2>
  <table>
    <thead><tr><th>criterion</th><th>status</th><th>points</th><th>observed · hint</th></tr></thead>
    <tbody>
    {% for c in m.criteria %}
    <tr class="criterion" data-criterion="{{ c.id }}" data-status="{{ c.status }}">
      <td><strong>{{ c.id }}</strong> {{ c.title }}<br><span class="zh" lang="zh-Hant-TW">{{ c.title_zh_tw }}</span></td>
      <td class="status status-{{ c.status }}">{{ {"pass": "✔ pass", "fail": "✘ fail", "skip": "– skipped", "error": "! error"}[c.status] }}</td>
      <td class="num"><span class="points">{{ c.points }}</span>/<span class="weight">{{ c.weight }}</span></td>
      <td><div class="observed">{{ c.observed }}</div>
        {% if c.status == "fail" %}<div class="hint">{{ c.hint }}
          {% if c.hint_zh_tw %}<br><span lang="zh-Hant-TW">{{ c.hint_zh_tw }}</span>{% endif %}
          <br><a href="{{ r.docs_base }}{{ c.docs }}">guide</a> · <a href="{{ r.docs_base }}{{ c.docs_zh_tw }}" lang="zh-Hant-TW">說明</a></div>{% endif %}
      </td>
    </tr>
    {% endfor %}
    </tbody>
  </table>
</section>
{% endfor %}
</main>
<details>
  <summary>run details</summary>
  <dl>
    {% for k, v in r.targets.items() %}<dt>{{ k }}</dt><dd>{{ v }}</dd>{% endfor %}
    <dt>project</dt><dd>{{ r.project_dir }}</dd>
    <dt>rubric</dt><dd>{{ r.rubric.path }} (sha256 {{ r.rubric.sha256[:12] }})</dd>
    {% for k, v in r.versions.items() %}<dt>{{ k }}</dt><dd>{{ v }}</dd>{% endfor %}
  </dl>
</details>
</body>
</html>
"""
