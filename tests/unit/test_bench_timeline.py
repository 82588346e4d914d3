"""bench.build_timeline notes each process's phases of a real two-process build."""
from __future__ import annotations

import os

from bench.build_timeline import report, traced_build
from bench.sitegen import generate
from minutes import build


def test_the_timeline_shows_both_processes_assembling_then_making_the_second_phase(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "QUEUED_SEARCH_FROM", 1)   # the search index a queued item here too
    src = generate(tmp_path / "gen", 60, seed=3).minutes
    log = tmp_path / "events.jsonl"
    log.touch()
    phases = build._second_phase
    start = traced_build(src, tmp_path / "site", str(log), jobs=2, settle=False)
    assert build._second_phase is phases   # put back as found
    text = report(str(log), start)
    processes = text.split("process ")[1:]
    assert len(processes) == 2 and processes[0].startswith(f"{os.getpid()} (main)")
    # The pool hands its first queued items to the worker before the main process can take
    # them back: each process has a share of each phase.
    for shown in processes:
        assert "_assemble_many x" in shown
        assert "pages x" in shown or "feeds x" in shown
    assert "_plan_pages x1" in processes[0]
    # A cold build's search index is one queued item, the first: one process makes it.
    assert sum(shown.count("search x1") for shown in processes) == 1
    assert (tmp_path / "site" / "index.html").is_file()
