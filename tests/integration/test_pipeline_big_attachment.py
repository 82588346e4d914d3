"""An attachment over the limit: the pipeline and a fresh `minutes build` of the same sources
give the same site (it is in neither) and the same warning (decision 85)."""
from __future__ import annotations

import tempfile
from pathlib import Path

from minutes.build import build
from minutes.meeting import MAX_ATTACHMENT_BYTES
from tests.support.soak import site_differences
from tests.support.sources import PDF

FOLDER = "minutes/openxla/2022-10-18-community/"
NOTES = b"# Community\n\n- Notes on the roadmap: see the [slides](slides.pdf).\n- More notes.\n"


def test_the_pipeline_and_a_build_skip_it_alike(stack):
    big = b"%PDF-1.4\n" + b"\0" * (MAX_ATTACHMENT_BYTES - 8)
    stack.put(FOLDER + "slides.pdf", big)
    stack.put(FOLDER + "chart.pdf", PDF)
    verdict = stack.publish(FOLDER + "notes.md", NOTES)
    stack.drain()
    assert verdict["status"] == "published"
    told = [p for p in verdict["problems"] if p["code"] == "attachment-too-large"]
    assert len(told) == 1 and "slides.pdf' (26,214,401 bytes) is not published" in told[0]["message"]
    assert "openxla/2022-10-18-community/chart.pdf" in stack.site_keys()
    assert not any(k.endswith("slides.pdf") for k in stack.site_keys())
    assert site_differences(stack) == []
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src"
        for key, body in stack.source_objects().items():
            (src / key[len("minutes/"):]).parent.mkdir(parents=True, exist_ok=True)
            (src / key[len("minutes/"):]).write_bytes(body)
        result = build(src, Path(tmp) / "site", site_url="https://minutes.example.org", workers=1)
    built = [p for ps in result.warnings.values() for p in ps if p.code == "attachment-too-large"]
    assert [(p.code, p.message, p.file) for p in built] == \
        [(t["code"], t["message"], t["file"]) for t in told]
