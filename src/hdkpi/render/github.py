"""GitHub Actions workflow commands: one annotation per missed target, then a summary notice.

Printed by a step (``hdkpi check … -f github``), each line becomes an annotation on the run:

* ``::error title=hdkpi: KPI::…`` for a fail-level miss,
* ``::warning title=hdkpi: KPI::…`` for a warn-level miss,
* ``::notice title=hdkpi: KPI::…`` for a targeted KPI with no data (no value, or fewer records than
  ``min_volume``): worth seeing, but no miss; under ``--strict``, where it fails the check, an
  ``::error`` instead,
* and last ``::notice title=hdkpi summary::N passed · N warned · N failed · N no-data``.

Passing figures and KPIs without a target print nothing. The message names the record
(``KPI [group] [period]``) and gives the value, the level missed and n. Data and properties are
escaped as GitHub's runner and toolkit expect — in data ``%`` → ``%25``, CR → ``%0D``, LF → ``%0A``;
in property values also ``:`` → ``%3A`` and ``,`` → ``%2C`` — so no value from an export can end a
line or start a command of its own
(https://docs.github.com/actions/using-workflows/workflow-commands-for-github-actions).
GitHub shows at most 10 error and 10 warning annotations per step; the summary notice comes last.
"""

from __future__ import annotations

from ..model import Report, Verdict
from ..units import format_change, format_value
from .base import Formatter, summary_text, value_text
from .junit import case_name, no_data_reason, targeted


def escape_data(text: str) -> str:
    return str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: str) -> str:
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def annotation(v: Verdict, strict: bool) -> str | None:
    """The workflow command for one targeted record (None when it passes)."""
    r, target = v.result, v.target
    assert target is not None
    where = case_name(v)
    if v.status == "fail":
        level = target.fail.text if target.fail is not None else target.text
        text, name = f"{where}: {value_text(v)} misses {level} (n={r.n}{_previous(v)})", "error"
    elif v.status == "warn":
        level = target.warn.text if target.warn is not None else target.text
        text, name = f"{where}: {value_text(v)} misses the warn level {level} (n={r.n}{_previous(v)})", "warning"
    elif v.status == "no-data":
        text = f"{where}: {no_data_reason(v)}; target {target.text}"
        name = "error" if strict else "notice"
    else:
        return None
    return command(name, text, title=f"hdkpi: {r.kpi}")


def _previous(v: Verdict) -> str:
    c, unit = v.result.compare, v.result.unit
    if c is None or c.value is None:
        return ""
    return f"; previous {format_value(c.value, unit)}, change {format_change(c.change, unit)}"


class GithubFormatter(Formatter):
    def render(self, report: Report) -> str:
        lines = [line for v in targeted(report) if (line := annotation(v, report.strict)) is not None]
        lines.append(command("notice", summary_text(report), title="hdkpi summary"))
        return "\n".join(lines) + "\n"
