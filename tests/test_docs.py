"""docs/kpis.md is generated from the registry; this test fails when it drifts.

Regenerate with ``HDKPI_REGENERATE=1 pytest tests/test_docs.py``.
"""

from __future__ import annotations

import os

from hdkpi.render.catalogue import catalogue_markdown

from .conftest import ROOT

DOC = ROOT / "docs" / "kpis.md"


def test_kpi_catalogue_doc_is_current(registry):
    text = catalogue_markdown(list(registry))
    if os.environ.get("HDKPI_REGENERATE") == "1":
        DOC.write_text(text, encoding="utf-8")
    assert DOC.read_text(encoding="utf-8") == text, (
        "docs/kpis.md is stale: run HDKPI_REGENERATE=1 pytest tests/test_docs.py")


def test_every_kpi_is_documented(registry):
    text = DOC.read_text(encoding="utf-8")
    for k in registry:
        assert f"`{k.signature()}`" in text
        assert k.definition.strip() and k.title.strip()


def test_readme_starts_with_the_two_setup_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    head = readme[:1500]
    assert "pip install . && hdkpi check examples/calls.csv examples/tickets.csv examples/surveys.csv" in head
    assert "pip install -e '.[test]' && pytest" in head


def test_readme_plugin_snippet_is_the_shipped_example():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    plugin = (ROOT / "examples" / "plugins" / "after_hours.py").read_text(encoding="utf-8")
    code = plugin[plugin.index("from hdkpi import"):].strip()
    assert code.replace("\n\n\n", "\n\n") in readme


def test_readme_walkthrough_is_the_real_output(monkeypatch):
    """The README shows what the first command prints; regenerate with HDKPI_REGENERATE=1."""
    from click.testing import CliRunner

    from hdkpi import __version__
    from hdkpi.cli import cli

    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli, ["check", "examples/calls.csv", "examples/tickets.csv",
                                      "examples/surveys.csv"])
    assert result.exit_code == 1
    assert result.stderr == "hdkpi: using targets from ./targets.yaml\n"
    shown = (f"```console\n$ hdkpi check examples/calls.csv examples/tickets.csv examples/surveys.csv\n"
             f"{result.stderr}{result.stdout}$ echo $?\n1\n```\n")
    readme_path = ROOT / "README.md"
    readme = readme_path.read_text(encoding="utf-8")
    start, end = "<!-- walkthrough:start -->\n", "<!-- walkthrough:end -->"
    before, rest = readme.split(start)
    _, after = rest.split(end)
    current = before + start + shown + end + after
    if os.environ.get("HDKPI_REGENERATE") == "1":
        readme_path.write_text(current, encoding="utf-8")
        readme = current
    assert readme == current, "README walkthrough is stale: run HDKPI_REGENERATE=1 pytest tests/test_docs.py"
    assert f"hdkpi {__version__} check" in shown


def test_readme_mapping_file_example_works(tmp_path):
    from hdkpi.run.pipeline import RunOptions, run

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("**Your own layout, no Python.**")[1].split("```yaml\n")[1].split("```")[0]
    preset = tmp_path / "ourdesk.yaml"
    preset.write_text(block, encoding="utf-8")
    export = tmp_path / "cases.csv"
    export.write_text("Case Number,Opened,Resolved On,First Reply (min),Rating\n"
                      "C1,2026-11-02 08:00,2026-11-02 10:00,30,Happy\n"
                      "C2,2026-11-02 09:00,,,not rated\n"
                      "C3,2026-11-03 09:00,2026-11-04 09:00,90,unhappy\n", encoding="utf-8")
    r = run(RunOptions(files=[str(export)], kpis=["frt", "resolution_time", "csat"], preset=str(preset)))
    assert r.inputs[0].preset == "ourdesk"
    by = {v.result.kpi: v.result for v in r.verdicts}
    assert by["frt"].value == 60 * 60  # (30 + 90) / 2 minutes = 1 h
    assert by["resolution_time"].value == 13 * 3600  # (2 h + 24 h) / 2
    assert (by["csat"].numerator, by["csat"].denominator) == (1, 2)  # happy 5, unhappy 1; not rated: no answer
