"""The proof decision 29 asks of a native Markdown engine: every corpus meeting and every hostile
input goes through it (comrak, via the whole assemble path) in a child process, so a crash is
a failure that names its input instead of taking pytest down; and each gets its verdict:
corpus meetings publish (the two files that are not minutes are refused for their date),
hostile markup publishes with nothing unsafe left, nesting renders or is refused as too-deep."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from test_hostile import HOSTILE, NESTED
from tests.support.corpus import CORPUS

REPO = Path(__file__).resolve().parents[2]
NOT_MINUTES = {"openxla/README", "openxla/OPENXLA_MEETINGS_GUIDE"}


@pytest.fixture(scope="module")
def verdicts() -> dict[str, dict]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(REPO), str(REPO / "tests" / "unit"), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, "-m", "tests.support.engine_proof"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    started = [line["start"] for line in lines if "start" in line]
    assert proc.returncode == 0 and lines and lines[-1] == {"done": True}, (
        f"the engine's process died (exit {proc.returncode}) on {started[-1] if started else '?'}: "
        f"{proc.stderr[-2000:]}")
    return {line["name"]: line for line in lines if "kind" in line}


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not here")
def test_every_corpus_meeting_publishes(verdicts):
    corpus = {name: v for name, v in verdicts.items() if v["kind"] == "corpus"}
    assert len(corpus) >= 290
    for name, verdict in corpus.items():
        if name in NOT_MINUTES:
            assert verdict == {"kind": "corpus", "name": name, "verdict": "rejected",
                               "codes": ["date-missing"], "same_in_check": True}
        else:
            assert verdict["verdict"] == "published" and not verdict["unsafe"], verdict


def test_check_finds_what_publish_finds_on_every_input(verdicts):
    """`minutes check` assembles verdict_only (no HTML, summary or resources; nh3 only where a
    relative link could be missing): every problem, note and heading is what publish gets, on
    every corpus meeting and every hostile input."""
    assert len(verdicts) >= 2 * len(HOSTILE) + len(NESTED)
    assert [name for name, v in verdicts.items() if not v["same_in_check"]] == []


def test_every_hostile_input_publishes_safely(verdicts):
    hostile = [v for v in verdicts.values() if v["kind"] == "hostile"]
    assert len(hostile) == 2 * len(HOSTILE)
    assert all(v["verdict"] == "published" and not v["unsafe"] for v in hostile), \
        [v for v in hostile if v["verdict"] != "published" or v["unsafe"]]


def test_deep_nesting_renders_or_is_too_deep(verdicts):
    nested = [v for v in verdicts.values() if v["kind"] in ("nested", "beyond")]
    assert len(nested) == len(NESTED) + 9
    for verdict in nested:
        assert (verdict["verdict"] == "published" and not verdict["unsafe"]) or \
            verdict.get("codes") == ["too-deep"], verdict
    beyond = {v["name"]: v["verdict"] for v in verdicts.values() if v["kind"] == "beyond"}
    # Refused before the engine sees them (too-deep), except what does not nest in CommonMark.
    assert beyond["quotes, 1 MB"] == beyond["spaced quotes"] == beyond["quotes, 20,000"] == "rejected"
