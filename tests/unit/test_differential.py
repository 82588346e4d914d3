"""A differential hunt (decision 100): hostile and odd source trees (tests/support/hostile_minutes.py),
each given to `minutes build` and `minutes check`, which must say the same of every file: the
same files left out, the same errors, the same warnings on what is published, the same URLs,
the same exit code, and never a traceback.

Derandomized, so the suite is the same on every run; `HUNT_EXAMPLES=2000 HUNT_RANDOM=1` hunts
further (a failure prints the tree Hypothesis shrank it to)."""
from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from minutes.build import build
from minutes.folder_walk import walk
from minutes.check import check_paths, meeting_ident
from minutes.cli import main
from tests.support.hostile_minutes import source_tree, write_tree

SITE = "https://minutes.example.org"
_SUFFIXED = re.compile(r"-\d+/$")
HUNT = settings(max_examples=int(os.environ.get("HUNT_EXAMPLES", "60")), deadline=None,
                derandomize=not os.environ.get("HUNT_RANDOM"), database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def said(problems, errors: bool) -> set[tuple]:
    return {(p.code, p.message, p.line or 0) for p in problems if p.is_error == errors}


def read_alone(key: str) -> bool:
    """What check reads on its own and reports by name: Markdown and group.yaml (an
    attachment is reported with its meeting, or alone by build when its key is bad)."""
    return key.lower().endswith((".md", "/group.yaml"))


def verdicts_of(src: Path, out: Path) -> dict:
    built = build(src, out, site_url=SITE, workers=1)
    checked = check_paths([src], workers=1)
    every = ["minutes/" + rel for rel in walk(str(src))]
    left_out_by_build = {meeting_ident(k) for k in built.rejected}
    return {
        "left out": (
            {k for k in every if read_alone(k) and (k in built.rejected or meeting_ident(k) in left_out_by_build)},
            {k for v in checked if not v.valid for k, _ in v.paths if read_alone(k)}),
        "errors": (set().union(*(said(p, True) for p in built.rejected.values())),
                   set().union(*(said(v.problems, True) for v in checked if not v.valid))),
        "warnings": (set().union(*(said(p, False) for p in built.warnings.values())),
                     set().union(*(said(v.problems, False) for v in checked if v.valid))),
        # A set, without a -2 suffix: a running-notes section two files hold is one page
        # (running_notes.holder); meetings of one URL are placed alike by check and build
        # (the later in meeting order at -2: decision 110).
        "urls": ({_SUFFIXED.sub("/", r.url_path) for r in built.records},
                 {_SUFFIXED.sub("/", url) for v in checked
                  if v.valid and v.meta and not v.key.endswith("/group.yaml")   # meta None: no page
                  for url in urls(v.meta)}),
    }


def urls(meta: dict) -> list[str]:
    """Where check says a file is published: each meeting of a running-notes file."""
    return [m["url_path"] for m in meta.get("meetings", [meta])]


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main(list(argv))
    return code, out.getvalue()


@HUNT
@given(source_tree())
def test_check_says_what_build_says_of_every_hostile_tree(tree):
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "minutes"
        write_tree(src, tree)
        for what, (by_build, by_check) in verdicts_of(src, Path(tmp) / "site").items():
            assert by_check == by_build, what
        built, said_by_build = run("build", str(src), "--out", str(Path(tmp) / "cli"), "--no-cache",
                                   "--jobs", "1")
        checked, said_by_check = run("check", str(src), "--jobs", "1")
        # A folder with nothing to check: said by check, an empty site to build; both exit 0
        # (decision 108).
        assert (built, checked) in ((0, 0), (1, 1)), said_by_build + said_by_check
        assert "Traceback" not in said_by_build + said_by_check


def test_a_running_notes_file_s_own_warnings_are_said_by_build_too(tmp_path):
    """Found by the hunt: a running-notes file saved as UTF-16 (or with control characters)
    got check's and publish's `encoding` warning, and none from build, which kept only its
    meetings' warnings."""
    src = tmp_path / "minutes"
    text = "# SIG Docs\n\n## Dec 31, 2024\n\n- a\n- b\n\n## Jan 7, 2025\n\n- c\n- d\n"
    write_tree(src, [("k8s-sig-docs/meeting-notes-2024.md", text.encode("utf-16"))])
    built = build(src, tmp_path / "site", site_url=SITE, workers=1)
    (verdict,) = check_paths([src], workers=1)
    assert [p.code for p in verdict.problems] == ["encoding"]
    assert [p.code for ps in built.warnings.values() for p in ps] == ["encoding"]
    assert len(built.records) == 2 and verdict.meta["running_notes"]


def test_a_stray_file_whose_key_is_refused_is_left_alone_as_under_a_good_key(tmp_path):
    """Found by the hunt: `logo.pdf` at the top of SRC, or `notes.txt` in a group folder named
    with a space, rejected the build (key-shape, group-name: exit 1) while check said nothing
    and the same file in a good group folder (`g/notes.txt`) is left alone by both. A file in
    a dated folder is part of a meeting, and is still rejected with its meeting."""
    src = tmp_path / "minutes"
    good = b"# Weekly\n\n- one\n- two\n"
    write_tree(src, [("logo.pdf", b"%PDF-1.4\n"), ("a b/notes.txt", b"x"), ("a b/f/pic.png", b"x"),
                     ("g/notes.txt", b"x"), ("g/2024-05-07-a.md", good),
                     ("a b/2024-06-01-f/NOTES.md", good), ("a b/2024-06-01-f/slides.pdf", b"%PDF-1.4\n")])
    built = build(src, tmp_path / "site", site_url=SITE, workers=1)
    assert sorted(built.rejected) == ["minutes/a b/2024-06-01-f/NOTES.md",
                                      "minutes/a b/2024-06-01-f/slides.pdf"]
    assert {p.code for ps in built.rejected.values() for p in ps} == {"group-name"}
    assert [v.key for v in check_paths([src], workers=1) if not v.valid] == \
        ["minutes/a b/2024-06-01-f/NOTES.md"]
    code, said = run("build", str(src), "--out", str(tmp_path / "cli"), "--no-cache")
    assert code == 1 and "logo.pdf" not in said and "notes.txt" not in said


def test_a_meeting_folder_without_markdown_is_rejected_by_check_as_by_build(tmp_path):
    """Found by the hunt: slides put in a meeting folder before its notes. Build rejected the
    folder (no-documents, exit 1); check said nothing of it (exit 0), as it looked only for
    Markdown. A bad group's such folder is rejected for its group by both."""
    src = tmp_path / "minutes"
    write_tree(src, [("g/2024-06-01-community-meeting/[Public] SIG Meeting 2024-06-01.pdf", b"%PDF-1.4\n"),
                     ("g/2024-06-01-community-meeting/agenda.docx", b"x"),
                     ("G/2024-06-02/slides.pdf", b"%PDF-1.4\n"),
                     ("g/2024-05-07-a.md", b"# Weekly\n\n- one\n- two\n")])
    for what, (by_build, by_check) in verdicts_of(src, tmp_path / "site").items():
        assert by_check == by_build, what
    checked = check_paths([src], workers=1)
    # keyed as its folder, or its one file check reads beside none (agenda.docx is only named)
    assert sorted((v.key.rsplit("/", 1)[0], v.valid, [p.code for p in v.problems]) for v in checked) == [
        ("minutes/G/2024-06-02", False, ["group-name"]),
        ("minutes/g", True, []),
        ("minutes/g/2024-06-01-community-meeting", False, ["no-documents"])]
    assert run("check", str(src))[0] == 1
