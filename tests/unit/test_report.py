"""report.py: the verdict a scribe gets, as JSON and back."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json

from minutes.problems import error, warning
from minutes.report import Verdict


def test_a_report_round_trips_through_json_with_every_problem_field_in_order():
    problems = (error("date-missing", "No date.", "Add one.", 1, 2, file="minutes/g/x.md"),
                warning("missing-local-file", "'a.pdf' is linked…", "Upload it.\nOr link.", 3),
                warning("stub", "Empty.", "Fill it.", file="minutes/g/x.md"))
    verdict = Verdict("rejected", "minutes/g/x.md", "v1", dt.datetime(2024, 5, 7, tzinfo=dt.timezone.utc),
                      problems=problems)
    data = json.loads(json.dumps(verdict.as_dict()))
    assert [list(p) for p in data["problems"]] == [[f.name for f in dataclasses.fields(p)] for p in problems]
    assert data["problems"][0] == {"code": "date-missing", "message": "No date.", "hint": "Add one.",
                                   "severity": "error", "line": 1, "column": 2, "file": "minutes/g/x.md"}
    assert (data["errors"], data["warnings"]) == (1, 2)
    assert Verdict.from_dict(data) == verdict
