"""Read a Markdown page and check the `lab` commands and API/CRM URLs it shows.

What counts as shown:
- commands: a line of a fenced shell block (no language, or sh/bash/shell/console/cmd/
  powershell; `text` blocks are diagrams), or an inline code span that starts with the command,
  where `lab`, `bin/lab`, `bin\\lab.cmd` or `python -m lab` is followed by a verb. The verb
  path must exist in the click group; every option must be one of that command's (`--x=value`
  and flag pairs such as `--promote/--no-promote` included); a `Choice` argument or option must
  use one of its choices; a command without arguments must not be given any. `a|b` at a verb or
  choice position means each of `a` and `b`. Placeholders (`NAME`, `<verb>`, `{x}`, `...`) are
  accepted where a value goes. A group with a default subcommand (`lab grade ROSTER` runs
  `lab grade run ROSTER`) is read as it dispatches (its `with_default`). `#` starts a comment;
  `|`, `>`, `&&`, `;`, `&` end the command.
- URLs: `http(s)://HOST:PORT/path` where PORT is the API's or the CRM's default port; the path
  must be a route of that app, with the method when a `curl` line says it (`-X`, or `-d` for
  POST). In code, `GET /path` (any HTTP method) must be a route of the API or the CRM, unless
  the path belongs to another tool (`/api/...`: Prometheus, Grafana, MLflow). A code span that
  is only a path is checked when its first segment is one of the apps' (`/admin/relaod` is
  caught, `/usr/share` and `/-/ready` are left alone).
A route is a path of the app's OpenAPI schema, or a literal route the app keeps out of it
(`/schema/swagger`, the CRM's `/metrics`). `{id}`, `<id>` and concrete values match a template
parameter; a query string is ignored.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import click

SHELL_LANGUAGES = {"", "sh", "bash", "shell", "console", "cmd", "bat", "powershell", "ps1"}
FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*([\w+-]*)")
INLINE = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)
LAB_START = re.compile(
    r"(?:^|(?<=[\s;&|(]))(?:python3?\s+-m\s+lab|bin[/\\]lab(?:\.cmd)?|lab(?:\.cmd)?)(?=\s|$)"
)
SPAN_START = re.compile(r"^\s*(?:\$\s+)?(?:python3?\s+-m\s+lab|bin[/\\]lab(?:\.cmd)?|lab)(?=\s|$)")
ENDERS = {"|", "||", "&&", ";", "&", ">", ">>", "<", "2>", "2>&1", "&>", "`"}
PLACEHOLDER = re.compile(r"^(?:[A-Z][A-Z0-9_]*|.*[<>{}…$].*|\.\.\.|\[.*\])$")
WIDE = "\u3000-\u303f\uff00-\uffef"  # CJK punctuation (the zh-TW pages' ，。：）)
URL = re.compile(rf"https?://([A-Za-z0-9.\-]+|\[[0-9a-fA-F:]+\]):(\d+)(/[^\s`'\"<>)\]{WIDE}]*)?")
METHOD_PATH = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE|HEAD)\s+(/[^\s`'\"<>)\]]*)")
BARE_PATH = re.compile(r"^(/[A-Za-z0-9_{}<>.\-]+)+/?(\?\S*)?$")
METHODS = ("get", "post", "put", "patch", "delete", "head", "options")
EXTERNAL_PREFIXES = ("/api/", "/ajax-api/", "/-/")


@dataclass(frozen=True)
class Snippet:
    line: int  # 1-based line of the page where the snippet starts
    text: str
    block: bool  # a line of a fenced shell block (else an inline code span)


@dataclass
class App:
    """The routes of one app: OpenAPI templates with their methods, and hidden literal routes."""

    name: str
    templates: dict[str, set[str]]  # "/customers/{customer_id}" -> {"GET"}
    hidden: set[str] = field(default_factory=set)

    def first_segments(self) -> set[str]:
        return {p.split("/")[1] for p in [*self.templates, *self.hidden] if p.count("/")}

    def has(self, path: str, method: str | None) -> bool:
        if path.rstrip("/") in self.hidden or path in self.hidden:
            return method in (None, "GET", "HEAD")
        for template, methods in self.templates.items():
            if template_matches(template, path) and (method is None or method in methods):
                return True
        return False

    def describe(self) -> str:
        return ", ".join(f"{' '.join(sorted(m))} {t}" for t, m in sorted(self.templates.items()))


def template_matches(template: str, path: str) -> bool:
    want = template.strip("/").split("/")
    got = path.split("?")[0].strip("/").split("/")
    if len(want) != len(got):
        return False
    for w, g in zip(want, got, strict=True):
        if w.startswith("{") and w.endswith("}"):
            continue
        if w != g:
            return False
    return True


def app_from_schema(name: str, openapi_paths: Mapping[str, object], routes: Sequence) -> App:
    """`openapi_paths`: the schema's `paths`; `routes`: (path, methods) of every route."""
    templates: dict[str, set[str]] = {}
    for path, item in openapi_paths.items():
        templates[path] = {m.upper() for m in METHODS if getattr(item, m, None) is not None}
    hidden = {path for path, _ in routes if path not in templates and "{" not in path}
    return App(name, templates, hidden)


# --- reading a page -------------------------------------------------------------------------


def snippets(markdown: str) -> Iterator[Snippet]:
    """Every shell-block line and every inline code span of the page, with its line number."""
    lines = markdown.splitlines()
    prose = list(lines)
    fence: str | None = None
    shell = False
    for number, line in enumerate(lines, start=1):
        match = FENCE.match(line)
        if fence is None and match:
            fence, shell = match.group(1), match.group(2).lower() in SHELL_LANGUAGES
            prose[number - 1] = ""
        elif fence is not None:
            prose[number - 1] = ""
            if line.strip().startswith(fence[0] * len(fence)) and not line.strip(fence[0]).strip():
                fence = None
            elif shell:
                yield Snippet(number, line, block=True)
    text = "\n".join(prose)
    for paragraph_start, paragraph in _paragraphs(text):
        for match in INLINE.finditer(paragraph):
            line = paragraph_start + paragraph.count("\n", 0, match.start())
            span = re.sub(r"\s*\n\s*", " ", match.group(2)).strip()
            yield Snippet(line, span.replace("\\|", "|"), block=False)  # `a\|b` in a table


def _paragraphs(text: str) -> Iterator[tuple[int, str]]:
    line = 1
    for chunk in re.split(r"(\n[ \t]*\n)", text):
        if chunk.strip() and not chunk.startswith("\n"):
            yield line, chunk
        line += chunk.count("\n")


def page_urls(markdown: str) -> Iterator[tuple[int, str, str | None]]:
    """(line, url, method or None) of every http(s) URL on the page, code or prose."""
    lines = markdown.splitlines()
    number = 0
    while number < len(lines):
        start, line = number + 1, lines[number]
        continued = ("\\", "^", "`")  # a continued curl line: sh \, cmd ^, PowerShell `
        while "curl" in line and line.rstrip().endswith(continued) and number + 1 < len(lines):
            number += 1
            line = line.rstrip()[:-1] + " " + lines[number].strip()
        number += 1
        method = _curl_method(line) if "curl" in line else None
        for match in URL.finditer(line):
            yield start, match.group(0), method


def _curl_method(line: str) -> str:
    explicit = re.search(r"(?:-X|--request)\s*['\"]?([A-Z]+)", line)
    if explicit:
        return explicit.group(1)
    if re.search(r"\s(?:-d|--data\S*|--json|-F|--form)(?:\s|=)", line):
        return "POST"
    return "GET"


def anchors(markdown: str) -> set[str]:
    """The anchors a page has: GitHub's heading slugs (with -1, -2 for repeats) and <a id>."""
    found = set(re.findall(r"<a\s+(?:id|name)=\"([^\"]+)\"", markdown))
    seen: dict[str, int] = {}
    fence = False
    for line in markdown.splitlines():
        if FENCE.match(line):
            fence = not fence
        heading = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if fence or not heading:
            continue
        text = re.sub(r"<[^>]+>|\[([^\]]*)\]\([^)]*\)", r"\1", heading.group(1))
        slug = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


# --- commands ---------------------------------------------------------------------------------


def commands_in(snippet: Snippet) -> Iterator[list[str]]:
    """The argument lists (after `lab`) of the lab commands a snippet shows."""
    text = snippet.text
    if snippet.block:
        text = re.sub(r"^\s*(?:\$|>|PS [^>]*>)\s+", "", text)
        text = re.split(r"(?:^|\s)#", text, maxsplit=1)[0]  # a shell comment
        starts = [m.end() for m in LAB_START.finditer(text)]
    else:
        match = SPAN_START.match(text)
        starts = [match.end()] if match else []
    for start in starts:
        args = _tokens(text[start:])
        if args:
            yield args


def _tokens(text: str) -> list[str]:
    try:
        lexer = shlex.shlex(text, posix=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        tokens = list(lexer)
    except ValueError:  # an unbalanced quote in prose: split on spaces
        tokens = text.split("#")[0].split()
    out: list[str] = []
    for token in tokens:
        if token in ENDERS or token.startswith((">", "2>", "$(")) or token.endswith(")"):
            break
        out.append(token)
    return out


def check_command(args: Sequence[str], root: click.Command, prefix: str = "lab") -> list[str]:
    """What is wrong with `lab ARGS` (empty when it is a real command used the right way)."""
    command, path, rest = root, [prefix], list(args)
    while isinstance(command, click.Group):
        rest = dispatched(command, rest)
        if not rest or rest[0].startswith("-"):
            break
        word = rest.pop(0)
        names = word.split("|")
        if len(names) > 1:
            return [p for n in names for p in check_command([*path[1:], n, *rest], root)]
        ctx = click.Context(command)
        found = command.get_command(ctx, word)  # a lazy group imports its command here
        if found is not None:
            command, path = found, [*path, word]
        elif PLACEHOLDER.match(word):
            return []
        else:
            known = ", ".join(command.list_commands(ctx))
            return [f"`{' '.join(path)} {word}` is not a command ({' '.join(path)} has: {known})"]
    return _check_params(command, " ".join(path), rest)


def dispatched(group: click.Group, args: list[str]) -> list[str]:
    """`args` as `group` dispatches them: a group with a default subcommand (`lab grade ROSTER`
    is `lab grade run ROSTER`) says so through its `with_default`, the one its parse_args uses."""
    with_default = getattr(group, "with_default", None)
    return list(with_default(list(args))) if callable(with_default) else list(args)


def _check_params(command: click.Command, name: str, rest: list[str]) -> list[str]:
    options = {o: p for p in command.params if isinstance(p, click.Option) for o in _opts(p)}
    for help_name in command.context_settings.get("help_option_names", ["--help"]):
        options.setdefault(help_name, None)
    options.setdefault("--help", None)
    arguments = [p for p in command.params if isinstance(p, click.Argument)]
    if command.context_settings.get("ignore_unknown_options"):
        return []
    problems: list[str] = []
    positional: list[str] = []
    i = 0
    while i < len(rest):
        token = rest[i]
        i += 1
        if token == "--":
            positional += rest[i:]
            break
        if not token.startswith("-") or token == "-" or re.match(r"^-\d", token):
            positional.append(token)
            continue
        flag, _, inline_value = token.partition("=")
        if flag not in options:
            known = ", ".join(sorted(o for o in options if o.startswith("--"))) or "none"
            problems.append(f"`{name}` has no option {flag} (its options: {known})")
            return problems  # whether it took a value is unknown: the rest cannot be read
        param = options[flag]
        if param is None or param.is_flag or param.count:
            continue
        value = inline_value if inline_value else (rest[i] if i < len(rest) else None)
        if not inline_value:
            i += 1
        if value is not None:
            problems += _check_choice(name, flag, param, value)
    problems += _check_positional(name, arguments, positional)
    return problems


def _opts(param: click.Option) -> list[str]:
    return [*param.opts, *param.secondary_opts]


def _check_choice(name: str, where: str, param: click.Parameter, value: str) -> list[str]:
    if not isinstance(param.type, click.Choice) or PLACEHOLDER.match(value):
        return []
    choices = [str(c) for c in param.type.choices]
    return [
        f"`{name}` {where}: {part!r} is not one of {', '.join(choices)}"
        for part in value.split("|")
        if part not in choices
    ]


def _check_positional(name: str, arguments: list[click.Argument], values: list[str]) -> list[str]:
    if not arguments:
        return [f"`{name}` takes no arguments, the page gives {' '.join(values)}"] if values else []
    problems: list[str] = []
    unbounded = any(a.nargs < 0 for a in arguments)
    if not unbounded and len(values) > sum(a.nargs for a in arguments):
        problems.append(f"`{name}` takes {sum(a.nargs for a in arguments)} argument(s): {values}")
    for argument, value in zip(arguments, values, strict=False):
        if argument.nargs == 1:
            problems += _check_choice(name, argument.human_readable_name, argument, value)
    return problems


# --- URLs -----------------------------------------------------------------------------------


def url_problem(url: str, method: str | None, apps_by_port: Mapping[int, App]) -> str | None:
    match = URL.match(url)
    if match is None:
        return None
    app = apps_by_port.get(int(match.group(2)))
    path = (match.group(3) or "/").split("?")[0].split("#")[0].rstrip(".,;:")
    if app is None or path in ("", "/"):
        return None
    if app.has(path, method):
        return None
    said = f"{method} " if method else ""
    return f"{said}{path} is not a route of the {app.name} ({app.describe()})"


def path_problems(snippet: Snippet, apps: Sequence[App]) -> Iterator[str]:
    """`METHOD /path` in code, and code spans that are a path of the apps' first segments."""
    found = [(m.group(1), m.group(2)) for m in METHOD_PATH.finditer(snippet.text)]
    if not found and not snippet.block and BARE_PATH.match(snippet.text):
        path = snippet.text
        if path.split("/")[1].split("?")[0] in {s for a in apps for s in a.first_segments()}:
            found = [(None, path)]
    for method, raw in found:
        path = raw.split("?")[0].rstrip(".,;:") or "/"
        if path.startswith(EXTERNAL_PREFIXES) or any(a.has(path, method) for a in apps):
            continue
        said = f"{method} " if method else ""
        names = " or the ".join(a.name for a in apps)
        yield f"{said}{path} is not a route of the {names}"
