"""The output-language catalogues in src/hdkpi/i18n/: complete, consistent with the KPI registry and
the renderers' English words, and read through translate() with an English fallback."""

from __future__ import annotations

import string
import subprocess
import sys
import unicodedata
from importlib import resources

import pytest
import yaml

import hdkpi.i18n as i18n
from hdkpi.engine.registry import builtin_registry
from hdkpi.i18n import LANGUAGES, catalogue, kpi_title, translate
from hdkpi.render.base import STATUS_LABELS

from .conftest import ROOT

OTHERS = [lang for lang in LANGUAGES if lang != "en"]
#: the column headings render/table.py can print (headers())
TABLE_HEADINGS = {"KPI", "Group", "Period", "Value", "n", "Basis", "Previous", "Change", "Target", "Status", "Note"}


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def test_languages():
    assert LANGUAGES == ("en", "fr", "es", "ru", "vi")
    shipped = {p.name for p in resources.files("hdkpi.i18n").iterdir() if p.name.endswith(".yaml")}
    assert shipped == {f"{lang}.yaml" for lang in LANGUAGES}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_file_is_plain_yaml_with_string_keys_and_values(lang):
    tree = yaml.safe_load(resources.files("hdkpi.i18n").joinpath(f"{lang}.yaml").read_text(encoding="utf-8"))

    def walk(node, path=""):
        assert isinstance(node, dict), path
        for key, value in node.items():
            assert isinstance(key, str), f"{path}{key!r} is read as {type(key).__name__}"  # e.g. a bare `no:`
            if isinstance(value, dict):
                walk(value, f"{path}{key}.")
            else:
                assert isinstance(value, str), f"{path}{key} is {value!r}, not a string"

    walk(tree)


@pytest.mark.parametrize("lang", OTHERS)
def test_every_english_key_is_translated_and_no_other(lang):
    en, other = catalogue("en"), catalogue(lang)
    assert sorted(set(en) - set(other)) == [], "keys missing"
    assert sorted(set(other) - set(en)) == [], "keys English lacks"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_value_is_empty(lang):
    assert [key for key, text in catalogue(lang).items() if not text.strip()] == []


@pytest.mark.parametrize("lang", OTHERS)
def test_placeholders_match_english(lang):
    en, other = catalogue("en"), catalogue(lang)
    assert {k: placeholders(other[k]) for k in en} == {k: placeholders(en[k]) for k in en}
    assert all(other[k].format(n="7") != other[k] for k in en if placeholders(en[k]) == {"n"})


def test_counted_phrases_carry_the_count():
    en = catalogue("en")
    counted = [k for k in en if k.startswith(("summary.", "accounting."))]
    assert sorted(counted) == sorted(["summary.passed", "summary.warned", "summary.failed", "summary.no-data",
                                      "accounting.read", "accounting.used", "accounting.rejected",
                                      "accounting.folded"])
    assert all(placeholders(en[k]) == {"n"} for k in counted)
    assert [k for k in en if k not in counted and placeholders(en[k])] == []


def test_every_builtin_kpi_has_a_title_key_and_no_more():
    names = {k.name for k in builtin_registry()}
    keys = {key.removeprefix("kpi.") for key in catalogue("en") if key.startswith("kpi.")}
    assert sorted(names - keys) == [], "built-in KPIs without a title"
    assert sorted(keys - names) == [], "titles of KPIs that are not built in"


def test_english_titles_are_the_registry_titles():
    """en.yaml repeats the titles of the KPI definitions: a renamed KPI title must be renamed here too."""
    assert {k.name: translate(f"kpi.{k.name}", "en") for k in builtin_registry()} == {
        k.name: k.title for k in builtin_registry()}


def test_english_words_are_the_renderers_words():
    en = catalogue("en")
    assert {en[k] for k in en if k.startswith("heading.")} == TABLE_HEADINGS
    assert {k.removeprefix("status.") for k in en if k.startswith("status.")} == set(STATUS_LABELS)
    assert all(label.endswith(" " + en[f"status.{s}"]) for s, label in STATUS_LABELS.items())
    summary = " · ".join(en[f"summary.{w}"].format(n=n) for w, n in
                         (("passed", 3), ("warned", 1), ("failed", 2), ("no-data", 0)))
    assert summary == "3 passed · 1 warned · 2 failed · 0 no-data"  # render/base.py summary_text()
    assert [en[f"section.{s}"] for s in ("inputs", "summary", "trends")] == ["Inputs", "Summary", "Trends"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_statuses_are_distinct(lang):
    words = [translate(f"status.{s}", lang) for s in STATUS_LABELS]
    assert len(set(words)) == len(words)


@pytest.mark.parametrize(("lang", "expected"), [
    ("fr", {"asa": "Délai moyen de réponse", "abandonment_rate": "Taux d'abandon",
            "service_level": "Niveau de service", "fcr": "Résolution au premier contact"}),
    ("es", {"asa": "Tiempo medio de respuesta", "abandonment_rate": "Tasa de abandono",
            "service_level": "Nivel de servicio", "fcr": "Resolución en el primer contacto"}),
    ("ru", {"asa": "Среднее время ответа", "abandonment_rate": "Доля брошенных вызовов",
            "service_level": "Уровень сервиса", "fcr": "Решение с первого обращения"}),
    ("vi", {"asa": "Thời gian trả lời trung bình", "abandonment_rate": "Tỷ lệ cuộc gọi bị bỏ",
            "service_level": "Mức độ dịch vụ", "fcr": "Giải quyết ngay lần liên hệ đầu tiên"}),
])
def test_the_usual_help_desk_terms(lang, expected):
    assert {name: kpi_title(name, lang) for name in expected} == expected


@pytest.mark.parametrize("lang", OTHERS)
def test_titles_are_translated(lang):
    """Most titles differ from English (a few, such as 'Net Promoter Score', are kept as brands)."""
    en, other = catalogue("en"), catalogue(lang)
    same = [k for k in en if k.startswith("kpi.") and other[k] == en[k]]
    assert same == []


def test_translate_falls_back_to_english(monkeypatch):
    real = i18n._load
    monkeypatch.setattr(i18n, "_load", lambda lang: {k: v for k, v in real(lang).items()
                                                     if not (lang == "fr" and k == "kpi.asa")})
    assert translate("kpi.asa", "fr") == "Average speed of answer"
    assert translate("kpi.aht", "fr") == "Durée moyenne de traitement"


def test_translate_a_key_nobody_knows():
    assert translate("kpi.my_plugin_kpi", "ru") == "kpi.my_plugin_kpi"
    assert translate("kpi.my_plugin_kpi", "ru", default="My KPI") == "My KPI"
    assert kpi_title("my_plugin_kpi", "vi", default="My KPI") == "My KPI"
    assert kpi_title("my_plugin_kpi", "vi") == "my_plugin_kpi"


def test_default_language_is_english():
    assert translate("heading.target") == "Target"
    assert kpi_title("asa") == "Average speed of answer"


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="choose one of en, fr, es, ru, vi"):
        translate("kpi.asa", "de")


def test_catalogues_are_read_once():
    i18n._load.cache_clear()
    for _ in range(3):
        translate("kpi.asa", "es")
        translate("kpi.asa", "en")
    info = i18n._load.cache_info()
    assert info.misses == 2 and info.hits >= 4


def test_catalogue_is_a_copy():
    catalogue("fr")["kpi.asa"] = "changed"
    assert translate("kpi.asa", "fr") == "Délai moyen de réponse"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogues_ship_with_the_package(lang):
    """Each catalogue is a file of the imported package (under CI's wheel stage: of the installed wheel;
    tests/test_wheel_contents.py holds the wheel to every tracked file)."""
    from importlib.resources import files

    assert (files("hdkpi") / "i18n" / f"{lang}.yaml").is_file()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_text_is_nfc(lang):
    """Composed characters (Vietnamese above all), so len() is the width the plain table pads to."""
    assert [k for k, text in catalogue(lang).items() if not unicodedata.is_normalized("NFC", text)] == []


def test_importing_the_language_list_reads_no_catalogue():
    code = ("import sys; from hdkpi.i18n import LANGUAGES; "
            "assert 'yaml' not in sys.modules, 'yaml imported'; print(','.join(LANGUAGES))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "en,fr,es,ru,vi"


def test_lang_translates_the_table_and_keeps_machine_formats_english(tmp_path):
    import json

    from click.testing import CliRunner

    from hdkpi.cli import cli

    from .conftest import write_csv

    calls = write_csv(tmp_path, "call_id,offered_at,wait_seconds,outcome\n1,2026-11-02T08:00:00Z,10,answered\n"
                      "2,2026-11-02T08:01:00Z,40,abandoned\n", "calls.csv")
    targets = write_csv(tmp_path, 'targets:\n  abandonment_rate: "< 10%"\n', "targets.yaml")
    runner = CliRunner()
    fr = runner.invoke(cli, ["check", str(calls), "-t", str(targets), "--lang", "fr", "--kpi", "abandonment_rate"])
    assert fr.exit_code == 1
    assert "Taux d'abandon" in fr.stdout and "✖ non atteint" in fr.stdout and "Bilan\u00a0: " in fr.stdout
    machine = runner.invoke(cli, ["check", str(calls), "-t", str(targets), "--lang", "fr", "-f", "json",
                                  "--kpi", "abandonment_rate"])
    assert json.loads(machine.stdout)["results"][0]["status"] == "fail"  # JSON stays English


@pytest.mark.parametrize(("lang", "word"), [("en", "partial"), ("fr", "partielle"), ("es", "parcial"),
                                            ("ru", "неполный"), ("vi", "một phần")])
def test_a_partial_period_is_marked_in_the_language(lang, word):
    """The table marks a period the data covers only in part, in the language asked for."""
    from click.testing import CliRunner

    from hdkpi.cli import cli

    done = CliRunner().invoke(cli, ["report", str(ROOT / "examples" / "calls.csv"), "--kpi", "calls_offered",
                                    "--every", "week", "--lang", lang])
    assert done.exit_code == 0, done.output
    # the calls end on Saturday 2026-11-21: the week of 11-16 lacks its Sunday
    assert f"2026-11-16 ({word})" in done.stdout
