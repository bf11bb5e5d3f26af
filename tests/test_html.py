"""The HTML report: one self-contained page, escaped, accessible; a real browser renders it.

The browser tests need Debian's chromium (``apt-get install chromium``) and are skipped without it.
The screenshots in docs/img are made by the same code: regenerate them with
``HDKPI_REGENERATE=1 pytest tests/test_html.py`` (and look at them before committing).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import struct
import subprocess
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest

from hdkpi.model import Report, Verdict
from hdkpi.render import get_formatter
from hdkpi.render.base import value_text
from hdkpi.run.pipeline import RunOptions, run

from .conftest import EXAMPLES, ROOT, write_csv

TARGETS = str(ROOT / "targets.yaml")
GENERATED = datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc)
DOCS_IMG = ROOT / "docs" / "img"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
NO_BROWSER = "chromium not installed: apt-get install chromium to run this test"
EVIL = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')


def make_report(files: list[Path | str], **options) -> Report:
    options.setdefault("targets_path", TARGETS)
    report = run(RunOptions(files=[str(f) for f in files], **options))
    report.generated_at = GENERATED
    return report


def render(report: Report) -> str:
    return get_formatter("html").render(report)


class Page(HTMLParser):
    """Every start tag with its attributes and the elements it sits in, and the text of the page."""

    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
                      "wbr"})

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str], tuple[dict[str, str], ...]]] = []
        self.stack: list[tuple[str, dict[str, str]]] = []
        self.texts: list[tuple[str, tuple[tuple[str, dict[str, str]], ...]]] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = {k: v or "" for k, v in attrs}
        self.tags.append((tag, attributes, tuple(a for _, a in self.stack)))
        if tag not in self.VOID:
            self.stack.append((tag, attributes))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}, tuple(a for _, a in self.stack)))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        self.texts.append((data, tuple(self.stack)))

    @property
    def text(self) -> str:
        return "".join(t for t, _ in self.texts)

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        """Tags named ``tag`` whose attributes include ``attrs`` (``cls`` matches one class word)."""
        cls = attrs.pop("cls", None)
        return [a for t, a, _ in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())
                and (cls is None or cls in a.get("class", "").split())]

    def inside(self, tag: str, container: dict[str, str]) -> list[dict[str, str]]:
        """Tags named ``tag`` within the element whose attributes are ``container`` (by identity)."""
        return [a for t, a, outer in self.tags if t == tag and any(o is container for o in outer)]

    def text_inside(self, container: dict[str, str]) -> str:
        return "".join(t for t, stack in self.texts if any(a is container for _, a in stack))


def text_in(page: Page, tag: str, container: dict[str, str]) -> list[str]:
    """The text of each ``tag`` element inside ``container``."""
    out: dict[int, list[str]] = {}
    for data, stack in page.texts:
        if any(a is container for _, a in stack):
            for name, attrs in reversed(stack):
                if name == tag:
                    out.setdefault(id(attrs), []).append(data)
                    break
    return ["".join(parts) for parts in out.values()]


@pytest.fixture(scope="module")
def weekly() -> tuple[Report, str]:
    report = make_report([EXAMPLES / "calls.csv", EXAMPLES / "tickets.csv", EXAMPLES / "surveys.csv"],
                         every="week")
    return report, render(report)


@pytest.fixture(scope="module")
def daily() -> tuple[Report, str]:
    report = make_report([EXAMPLES / "calls.csv"], every="day", compare="previous",
                         kpis=["service_level", "asa", "calls_offered"])
    return report, render(report)


@pytest.fixture(scope="module")
def heat() -> tuple[Report, str]:
    report = make_report([EXAMPLES / "calls.csv"], by=["weekday", "hour"], kpis=["service_level", "calls_offered"])
    return report, render(report)


# -- structure ------------------------------------------------------------------------------------

def test_a_whole_document_in_english_with_a_print_stylesheet(weekly):
    _, text = weekly
    assert text.startswith("<!DOCTYPE html>\n") and text.endswith("</html>\n")
    page = Page(text)
    assert page.find("html", lang="en")
    assert page.find("meta", charset="utf-8")
    assert "@media print" in text
    assert page.find("title")


def test_nothing_is_loaded_from_anywhere(weekly, daily, heat):
    for _, text in (weekly, daily, heat):
        assert "http://" not in text and "https://" not in text
        assert "url(" not in text and "@import" not in text
        page = Page(text)
        for tag in ("link", "img", "iframe", "object", "embed", "base", "audio", "video", "source", "form"):
            assert not page.find(tag), tag
        scripts = page.find("script")
        assert len(scripts) == 1 and "src" not in scripts[0]
        for tag, attrs, _ in page.tags:
            for name, value in attrs.items():
                assert not name.startswith("on"), (tag, name)
                if name in ("href", "src", "action", "xlink:href"):
                    assert value.startswith("#"), (tag, name, value)


def test_the_content_security_policy_forbids_requests_and_admits_only_our_script(weekly):
    _, text = weekly
    page = Page(text)
    policy = page.find("meta", **{"http-equiv": "Content-Security-Policy"})[0]["content"]
    assert "default-src 'none'" in policy and "img-src 'none'" in policy
    script = text.split("<script>")[1].split("</script>")[0]
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    assert f"script-src 'sha256-{digest}'" in policy


def test_header_names_version_command_period_targets_and_time(weekly):
    report, text = weekly
    page = Page(text)
    header = page.find("header")[0]
    shown = page.text_inside(header)
    for fact in ("0.1.0", "report", "all records", TARGETS, "week (UTC)", "2026-11-25T08:00:00+00:00"):
        assert fact in shown
    s = report.summary
    badges = text_in(page, "li", page.find("ul", cls="badges")[0])
    assert badges == [f"✔ {s['pass']} passed", f"⚠ {s['warn']} warned", f"✖ {s['fail']} failed",
                      f"— {s['no_data']} no-data"]
    verdict = page.find("p", cls="verdict")[0]
    # the overall figures of the examples: abandonment, service level and resolved_within(2d) miss their targets
    assert page.text_inside(verdict) == "✖ 3 of 7 targets missed" and "fail" in verdict["class"]


def test_every_kpi_has_a_tile_with_value_target_and_symbol(weekly):
    report, text = weekly
    page = Page(text)
    tiles = {a["data-kpi"]: a for a in page.find("article", cls="tile")}
    overall = [v for v in report.verdicts if not v.result.group and v.result.period is None]
    assert len(overall) > 30 and set(tiles) == {v.result.kpi for v in overall}
    for v in overall:
        tile = tiles[v.result.kpi]
        shown = page.text_inside(tile)
        assert value_text(v) in shown and f"n {v.result.n:,}" in shown
        assert tile["data-status"] == (v.status or "")
        if v.target is not None:
            assert f"target {v.target.text}" in shown
            assert {"pass": "✔", "warn": "⚠", "fail": "✖", "no-data": "—"}[v.status] in shown
            assert v.status.replace("-", "") in tile["class"]


def test_tiles_show_the_change_with_its_direction_in_words(tmp_path):
    report = make_report([EXAMPLES / "calls.csv"], last="7d", now="2026-11-21", compare="previous",
                         kpis=["asa", "abandonment_rate"])
    page = Page(render(report))
    tiles = {a["data-kpi"]: a for a in page.find("article", cls="tile")}
    asa = page.text_inside(tiles["asa"])  # 20.4 s → 23.1 s: slower answers are worse
    assert "▲ +2.7 s worse" in asa and "was 20.4 s" in asa
    assert [s["class"] for s in page.inside("span", tiles["asa"]) if "change" in s["class"]] == ["change worse"]
    abandon = page.text_inside(tiles["abandonment_rate"])  # 12.9 % → 11.8 %: fewer abandons is better
    assert "▼ -1.1 pp better" in abandon


def trend(page: Page, kpi: str) -> dict[str, str]:
    return next(a for a in page.find("figure", cls="trend") if a["data-kpi"] == kpi)


def points(d: str) -> list[list[tuple[float, float]]]:
    """The sub-paths of an SVG path of M/L commands, as lists of points."""
    runs = []
    for command, x, y in re.findall(r"([ML])([-\d.]+),([-\d.]+)", d):
        if command == "M":
            runs.append([])
        runs[-1].append((float(x), float(y)))
    return runs


def test_a_trend_line_per_kpi_with_gaps_where_periods_have_no_data(daily):
    report, text = daily
    page = Page(text)
    figure = trend(page, "service_level")
    svg = page.inside("svg", figure)[0]
    assert svg["role"] == "img" and page.inside("title", figure)
    series = [v for v in report.verdicts if v.result.kpi == "service_level" and v.result.period is not None]
    assert len(series) > 20 and any(v.result.value is None for v in series)  # Sundays: no calls
    path = next(a for a in page.inside("path", figure) if a.get("class") == "line s0")
    runs = points(path["d"])
    expected = [[v for v in run] for run in _runs(series)]
    assert [len(r) for r in runs] == [len(r) for r in expected], "one sub-path per run of periods with a value"
    drawn = [(p, v) for run, values in zip(runs, expected) for p, v in zip(run, values)]
    # x grows with the period, and y falls as the value rises (SVG y points down)
    xs = [p[0] for p, _ in drawn]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)
    by_value = sorted(drawn, key=lambda pv: pv[1].result.value)
    assert [p[1] for p, _ in by_value] == sorted((p[1] for p, _ in drawn), reverse=True)
    # the target (>= 80 %) is a dashed line: values at or above it are drawn above it
    target = page.inside("line", figure)
    level = next(a for a in target if a.get("class") == "target")
    y80 = float(level["y1"])
    for (_, y), v in drawn:
        assert (y <= y80 + 0.05) == (v.result.value >= 0.8)
    gaps = [a for a in page.inside("circle", figure) if a.get("class") == "gap"]
    assert len(gaps) == sum(v.result.value is None for v in series)
    assert "target >= 80%" in page.text_inside(figure)


def _runs(series: list[Verdict]) -> list[list[Verdict]]:
    runs: list[list[Verdict]] = []
    previous = None
    for v in series:
        if v.result.value is not None:
            if previous is None or previous.result.value is None:
                runs.append([])
            runs[-1].append(v)
        previous = v
    return runs


def test_axis_labels_are_in_human_units(daily):
    _, text = daily
    page = Page(text)
    ticks = text_in(page, "text", trend(page, "service_level"))
    assert any(re.fullmatch(r"\d+(\.\d)? %", t) for t in ticks)
    ticks = text_in(page, "text", trend(page, "asa"))
    assert any(re.fullmatch(r"\d+ s", t) for t in ticks)
    ticks = text_in(page, "text", trend(page, "calls_offered"))
    assert "26 Oct" in ticks


def test_no_trends_without_every(heat):
    _, text = heat
    assert not Page(text).find("figure", cls="trend")


def test_weekday_by_hour_heatmap_cells_hold_the_figures(heat):
    report, text = heat
    page = Page(text)
    figures = {a["data-kpi"]: a for a in page.find("figure", cls="heat")}
    assert list(figures) == ["service_level", "calls_offered"]
    for kpi, figure in figures.items():
        cells = {c["title"].split(" · ")[0]: c for c in page.inside("td", figure) if "title" in c}
        grid = {(v.result.group["weekday"], v.result.group["hour"]): v for v in report.verdicts
                if v.result.kpi == kpi and v.result.group and v.result.period is None}
        assert len(grid) == 54  # Mon–Fri 08–17 and Sat 09–12
        for (day, hour), v in grid.items():
            cell = cells[f"{day} {hour}:00"]
            assert cell["title"].startswith(f"{day} {hour}:00 · {value_text(v)} · n {v.result.n:,}")
            assert cell["style"].startswith("background:hsl(")
        # Sat 13–17 had no calls: shown, marked as such
        assert cells["Sat 13:00: no records"]["class"] == "empty"
    sl = figures["service_level"]
    texts = text_in(page, "td", sl)
    assert "✖\u200971%" in texts and "89%" in texts  # Mon 09 fails the 80 % target, Mon 17 passes
    mon9 = next(c for c in page.inside("td", sl) if c.get("title", "").startswith("Mon 09:00"))
    assert mon9["class"] == "fail" and mon9["title"].endswith("✖ fail")


def test_no_heatmap_for_other_breakdowns(tmp_path):
    report = make_report([EXAMPLES / "calls.csv"], by=["queue"], kpis=["service_level"])
    page = Page(render(report))
    assert not page.find("figure", cls="heat")
    breakdown = page.find("details", cls="breakdown")
    assert [d["data-kpi"] for d in breakdown] == ["service_level"]
    rows = text_in(page, "th", breakdown[0])
    assert {"billing", "sales", "tech"} <= set(rows)


def test_inputs_settings_and_methods_are_listed(weekly):
    _, text = weekly
    page = Page(text)
    inputs = page.text_inside(page.find("section", id="inputs")[0])
    assert str(EXAMPLES / "calls.csv") in inputs
    assert "1 × offered_at: not a date (data row 680)" in inputs
    assert "1 × ticket_id: duplicate (data row 1001)" in inputs
    settings = page.text_inside(page.find("section", id="settings")[0])
    assert "service_level_threshold20s" in settings and "fcr_window1w" in settings
    method = page.text_inside(page.find("section", id="method")[0])
    assert "offered, T=20s" in method and "business time: Europe/London" in method


def evil_inputs(tmp_path: Path) -> list[Path]:
    rows = ["call_id,offered_at,wait_seconds,outcome,queue"]
    for i, queue in enumerate([EVIL[0], EVIL[1], "plain"] * 3):
        quoted = '"' + queue.replace('"', '""') + '"'
        rows.append(f"{i},2026-11-0{2 + i // 3}T09:0{i % 3}:00Z,{10 + i},answered,{quoted}")
    rows.append("x,not a date,5,answered,plain")
    name = 'calls <b>&"\'.csv'
    return [write_csv(tmp_path, "\n".join(rows) + "\n", name)]


def test_group_names_paths_and_notes_are_escaped(tmp_path):
    targets = write_csv(tmp_path, 'targets:\n  asa: "<= 12s"\n', "targets <i>.yaml")
    report = make_report(evil_inputs(tmp_path), targets_path=str(targets), by=["queue"], every="day",
                         kpis=["asa", "calls_offered"])
    assert {v.result.group.get("queue") for v in report.verdicts} >= set(EVIL)
    text = render(report)
    assert "<script>alert" not in text.lower() and "<img" not in text.lower() and "<b>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in text
    page = Page(text)
    assert len(page.find("script")) == 1 and not page.find("img") and not page.find("b") and not page.find("i")
    assert not [name for _, attrs, _ in page.tags for name in attrs if name.startswith("on")]
    shown = page.text
    assert EVIL[0] in shown and EVIL[1] in shown  # shown as text, in tables, legends and chart labels
    assert 'calls <b>&"\'.csv' in shown and "targets <i>.yaml" in shown
    breakdown = next(d for d in page.find("details", cls="breakdown") if d["data-kpi"] == "asa")
    assert set(EVIL) <= set(text_in(page, "th", breakdown))


def test_the_cli_writes_the_page(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from hdkpi.cli import cli

    monkeypatch.chdir(ROOT)
    out = tmp_path / "report.html"
    result = CliRunner().invoke(cli, ["report", "examples/calls.csv", "--kpi", "asa", "-f", "html", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and 'data-kpi="asa"' in text


# -- a real browser -------------------------------------------------------------------------------

def browser() -> str | None:
    return next((path for path in map(shutil.which, BROWSERS) if path), None)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def screenshot(page: Path, png: Path, profile: Path, size: tuple[int, int] = (1280, 2000)) -> str:
    """Open ``page`` in headless chromium, save a screenshot; returns the browser's log.

    Any request leaving the page would fail to resolve (host-resolver-rules) and the page's
    Content-Security-Policy reports any attempt on the console, which the log carries.
    """
    exe = browser()
    assert exe is not None
    cmd = [exe, "--headless=new", "--disable-gpu", "--no-sandbox", "--no-first-run", "--hide-scrollbars",
           "--disable-extensions", f"--user-data-dir={profile}", "--force-device-scale-factor=1",
           "--host-resolver-rules=MAP * ~NOTFOUND", "--enable-logging=stderr", "--v=0",
           f"--screenshot={png}", f"--window-size={size[0]},{size[1]}", page.as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stderr


def console(log: str) -> list[str]:
    """Lines the page wrote to the console, uncaught errors and failed loads."""
    return [line for line in log.splitlines()
            if ":CONSOLE" in line or "Uncaught" in line or "net::ERR" in line]


needs_browser = pytest.mark.skipif(browser() is None, reason=NO_BROWSER)


@needs_browser
def test_chromium_renders_the_page_without_errors_or_requests(tmp_path, weekly):
    _, text = weekly
    page = tmp_path / "report.html"
    page.write_text(text, encoding="utf-8")
    png = tmp_path / "report.png"
    log = screenshot(page, png, tmp_path / "profile")
    assert console(log) == []
    assert png_size(png) == (1280, 2000)
    assert png.stat().st_size > 50_000, "a screenshot this small is an empty page"


@needs_browser
def test_chromium_check_would_see_a_request(tmp_path, daily):
    """The check above is not blind: a page that tries to load an image is caught."""
    _, text = daily
    page = tmp_path / "leaky.html"
    page.write_text(text.replace("<main>", '<main><img src="https://example.invalid/x.png" alt="">'),
                    encoding="utf-8")
    log = screenshot(page, tmp_path / "leaky.png", tmp_path / "profile", size=(800, 600))
    assert any("example.invalid" in line for line in console(log))


DOC_SHOTS = {
    # name: (RunOptions as `hdkpi report` would make them in the project folder, window size)
    "report": (dict(files=["examples/calls.csv", "examples/tickets.csv", "examples/surveys.csv"], every="week"),
               (1280, 1800)),
    "heatmap": (dict(files=["examples/calls.csv"], by=["weekday", "hour"], kpis=["service_level", "calls_offered"]),
                (1280, 1100)),
}


def test_docs_screenshots(tmp_path, monkeypatch):
    """docs/img/*.png are these reports as chromium shows them; HDKPI_REGENERATE=1 remakes them."""
    if os.environ.get("HDKPI_REGENERATE") == "1":
        if browser() is None:
            pytest.skip(NO_BROWSER)
        monkeypatch.chdir(ROOT)
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        for name, (options, size) in DOC_SHOTS.items():
            page = tmp_path / f"{name}.html"
            page.write_text(render(make_report(targets_path="targets.yaml", **options)), encoding="utf-8")
            log = screenshot(page, DOCS_IMG / f"{name}.png", tmp_path / "profile", size=size)
            assert console(log) == []
    for name, (_, size) in DOC_SHOTS.items():
        png = DOCS_IMG / f"{name}.png"
        assert png.exists(), f"{png} is missing: run HDKPI_REGENERATE=1 pytest tests/test_html.py"
        assert png_size(png) == size
        assert png.stat().st_size < 400_000, f"{png} is over 400 KB: make the window smaller"
