"""JSON output: the versioned machine document (hdkpi.document) written as one JSON text."""

from __future__ import annotations

import json

from ..document import report_doc
from ..model import Report
from .base import Formatter


class JsonFormatter(Formatter):
    def render(self, report: Report) -> str:
        doc = report_doc(report)
        # indented for people; past a few thousand records compact, where Python's C encoder is 4× faster
        indent = 2 if len(doc["results"]) <= 5000 else None
        return json.dumps(doc, indent=indent, ensure_ascii=False, allow_nan=False) + "\n"
