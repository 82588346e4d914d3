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


def test_a_report_names_an_odd_key_on_one_line_as_the_cli_does():
    """A key with a line break or an escape (one an `aws s3 cp` can make; sync and upload never
    send one) printed over two lines in the report's text and the scribes' notice, and sent
    the escape to a terminal: quoted as the CLI quotes it (quoting.one_line, decision 118)."""
    from minutes.check import one_line as checks
    from minutes.quoting import one_line
    assert checks is one_line   # one function, wherever a name is printed
    key = "minutes/g/2024-01-02-a\nb\x1b[31m.md"
    verdict = Verdict("rejected", key, "v1", dt.datetime(2024, 5, 7, tzinfo=dt.timezone.utc),
                      problems=(error("key-shape", "Bad.", "Rename it."),
                                warning("stub", "Empty.", "Fill.", 2, 1, file=key)))
    quoted = '"minutes/g/2024-01-02-a\\nb\\033[31m.md"'
    assert verdict.subject() == f"Rejected: {quoted}"
    lines = verdict.text().splitlines()
    assert lines[0] == f"Rejected: {quoted}"
    assert f"{quoted}: error key-shape: Bad." in lines and f"{quoted}:2:1: warning stub: Empty." in lines
    assert "\x1b" not in verdict.text() and len(lines) == 8
    plain = Verdict("published", "minutes/g/2024-01-02-café.md", "v1",
                    dt.datetime(2024, 5, 7, tzinfo=dt.timezone.utc))
    assert plain.subject() == "Published: minutes/g/2024-01-02-café.md"   # as it is


def test_the_cli_quotes_the_paths_it_names_in_its_own_lines(tmp_path, capsys):
    from minutes.cli import EXIT_USAGE, main
    odd = tmp_path / "a\nb"
    assert main(["build", str(odd), "--out", str(tmp_path / "site")]) == EXIT_USAGE
    assert main(["check", str(odd)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.splitlines() == [f'minutes build: "{tmp_path}/a\\nb" is not a folder',
                                f'minutes check: no such file: "{tmp_path}/a\\nb"']
