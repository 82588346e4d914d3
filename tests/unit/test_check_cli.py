"""`minutes check`: exit codes, compiler-style text, the JSON contract, key derivation, folders."""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from minutes.check import key_for
from minutes.folder_walk import walk
from minutes.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, main
from tests.support.corpus import CORPUS
from tests.support.sources import PDF, write

GOOD = "# Weekly sync\n\n## Notes\n\n- one\n- two\n"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["check", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def run_json(capsys, *argv: str) -> tuple[int, list[dict]]:
    code, out, _ = run(capsys, "--format", "json", *argv)
    return code, json.loads(out)


# --- exit codes and text -----------------------------------------------------------------

def test_a_valid_file_exits_0_and_says_where_it_will_be(tmp_path, capsys):
    path = write(tmp_path / "minutes" / "sig-docs" / "2024-05-07-weekly.md", GOOD)
    code, out, _ = run(capsys, str(path))
    assert code == EXIT_OK
    assert out.strip() == f"{path}: ok (as minutes/sig-docs/2024-05-07-weekly.md) -> /sig-docs/2024-05-07-weekly/"


def test_a_rejected_file_exits_1_with_compiler_style_lines(tmp_path, capsys):
    path = write(tmp_path / "minutes" / "g" / "2024-05-07.md", "---\ntitel: x\n---\n# T\n\nab\x07c\n")
    code, out, _ = run(capsys, str(path))
    assert code == EXIT_INVALID
    lines = out.splitlines()
    at = lines.index(f"{path}:2:1: error front-matter-typo: Unknown front-matter key 'titel'.")
    assert lines[at + 1] == "    hint: Did you mean 'title'? Rename the key."
    assert f"{path}:6:3: warning control-char: Invisible control character U+0007 removed." in lines
    assert lines[-1] == f"{path}: rejected (as minutes/g/2024-05-07.md)"


def test_every_problem_line_has_the_compiler_shape_and_a_hint(tmp_path, capsys):
    path = write(tmp_path / "x" / "notes.md", "---\ndraft: maybe\n---\n# TBD\n")
    _, out, _ = run(capsys, str(path))
    lines = out.splitlines()
    shape = re.compile(rf"^{re.escape(str(path))}:\d+:\d+: (error|warning) [a-z0-9-]+: .+$")
    problem_lines = [i for i, line in enumerate(lines) if shape.match(line)]
    assert len(problem_lines) == 2
    for i in problem_lines:
        assert lines[i + 1].startswith("    hint: ")


def test_multi_line_hints_stay_indented(tmp_path, capsys):
    path = write(tmp_path / "x" / "notes.md", GOOD)
    _, out, _ = run(capsys, str(path))
    assert "error date-missing" in out
    assert "          ---\n          date: 2024-05-07\n          ---" in out


def test_warnings_only_exit_0(tmp_path, capsys):
    path = write(tmp_path / "minutes" / "g" / "2024-05-07.md", "# Sync 2024-05-14\n\n## Empty\n")
    code, out, _ = run(capsys, str(path))
    assert code == EXIT_OK
    assert ": warning title-date-mismatch: " in out and "empty-section" not in out
    code, out, _ = run(capsys, "--verbose", str(path))
    assert code == EXIT_OK
    assert ": warning title-date-mismatch: " in out and ": info empty-section: " in out


def test_one_bad_file_among_good_ones_exits_1(tmp_path, capsys):
    good = write(tmp_path / "minutes" / "g" / "2024-05-07.md", GOOD)
    bad = write(tmp_path / "minutes" / "g" / "2024-05-08.md", b"")
    code, out, _ = run(capsys, str(good), str(bad))
    assert code == EXIT_INVALID and f"{good}: ok" in out and f"{bad}: rejected" in out


@pytest.mark.parametrize("argv", [[], ["--format", "xml", "x.md"], ["--max-bytes", "lots", "x.md"]])
def test_argument_errors_exit_2(capsys, argv):
    with pytest.raises(SystemExit) as caught:
        main(["check", *argv])
    assert caught.value.code == EXIT_USAGE


def test_usage_errors_exit_2(tmp_path, capsys):
    a = write(tmp_path / "a" / "2024-05-07.md", GOOD)
    b = write(tmp_path / "b" / "2024-05-07.md", GOOD)
    assert run(capsys, str(tmp_path / "nope.md"))[0] == EXIT_USAGE
    assert run(capsys, "--key", "minutes/g/2024-05-07.md", str(a), str(b))[0] == EXIT_USAGE
    assert run(capsys, "--key", "minutes/g/2024-05-07.md", str(tmp_path / "a"))[0] == EXIT_USAGE
    assert run(capsys, "--max-bytes", "0", str(a))[0] == EXIT_USAGE
    assert main([]) == EXIT_USAGE


@pytest.mark.parametrize("holding", [[], ["g/notes.txt", "README.txt", "g/.deck.pdf"]])
def test_a_folder_with_nothing_to_check_is_said_and_exits_0_as_build_of_it_does(tmp_path, capsys,
                                                                              monkeypatch, holding):
    """`minutes build` of it is a site with no meetings (exit 0: a new project, or every meeting
    deleted, whose pages the build must remove); check agrees, and says there was nothing to
    check (the wrong folder?), from the one walk of the folder it checks with (decision 108)."""
    from minutes import check
    src = tmp_path / "src"
    src.mkdir()
    for name in holding:
        write(src / name, "not minutes")
    good = write(tmp_path / "minutes" / "g" / "2024-05-07.md", GOOD)
    walked = []
    monkeypatch.setattr(check, "walk", lambda root, *more: walked.append(root) or walk(root, *more))
    code, out, err = run(capsys, str(src))
    assert (code, out, walked) == (EXIT_OK, "", [str(src)])
    assert err == (f"minutes check: nothing to check in {src}: no .md file, group.yaml or meeting "
                   "folder under it (the wrong folder?)\n")
    code, out, err = run(capsys, str(good), str(src))
    assert code == EXIT_OK and "ok (as minutes/g/2024-05-07.md)" in out
    assert f"nothing to check in {src}:" in err
    assert run_json(capsys, str(src)) == (EXIT_OK, [])
    walked.clear()   # a folder holding minutes: walked once too (it was twice: has_minutes first)
    code, out, err = run(capsys, str(good.parent.parent.parent))
    assert (code, walked, err) == (EXIT_OK, [str(good.parent.parent.parent)], "")
    assert main(["build", str(src), "--out", str(tmp_path / "site"), "--no-cache"]) == EXIT_OK


def test_max_bytes_is_configurable(tmp_path, capsys):
    path = write(tmp_path / "minutes" / "g" / "2024-05-07.md", GOOD)
    code, out, _ = run(capsys, "--max-bytes", "10", str(path))
    assert code == EXIT_INVALID and "error too-large" in out and "limit is 10" in out


# --- JSON --------------------------------------------------------------------------------

def test_json_has_exactly_the_documented_fields(tmp_path, capsys):
    good = write(tmp_path / "minutes" / "g" / "2024-05-07-weekly.md", GOOD + "\n## Empty\n")
    bad = write(tmp_path / "minutes" / "g" / "2023-02-30-weekly.md", GOOD)
    code, verdicts = run_json(capsys, str(good), str(bad))
    assert code == EXIT_INVALID and len(verdicts) == 2
    for verdict in verdicts:
        assert set(verdict) == {"file", "key", "valid", "problems", "meta"}
        for problem in verdict["problems"]:
            assert set(problem) == {"severity", "code", "line", "column", "message", "hint"}
    ok, rejected = verdicts
    assert (ok["file"], ok["key"], ok["valid"]) == (str(good), "minutes/g/2024-05-07-weekly.md", True)
    assert {"title", "date", "group", "slug", "url_path"} <= set(ok["meta"])
    assert {k: ok["meta"][k] for k in ("title", "date", "group", "slug", "url_path")} == {
        "title": "Weekly sync", "date": "2024-05-07", "group": "g", "slug": "2024-05-07-weekly",
        "url_path": "/g/2024-05-07-weekly/"}
    assert ok["problems"] == []   # an empty section is an info: --verbose shows it
    _, verbose = run_json(capsys, "--verbose", str(good))
    assert verbose[0]["problems"] == [{"severity": "info", "code": "empty-section", "line": 8,
                                       "column": 1, "message": "Section 'Empty' is empty.",
                                       "hint": "Write what was said, or remove the heading."}]
    assert (rejected["valid"], rejected["meta"]) == (False, None)
    assert [p["code"] for p in rejected["problems"]] == ["date-invalid"]
    assert rejected["problems"][0]["severity"] == "error"


def test_json_on_not_utf8_names_the_byte_offset(tmp_path, capsys):
    path = write(tmp_path / "minutes" / "g" / "2024-05-07.md", b"# T\n\ncaf\xe9\n")
    _, [verdict] = run_json(capsys, str(path))
    assert verdict["valid"]
    problem = verdict["problems"][0]
    assert (problem["code"], problem["line"], problem["column"]) == ("encoding", 3, 4)
    assert "byte offset 8" in problem["message"] and problem["severity"] == "warning"


# --- keys --------------------------------------------------------------------------------

def test_key_from_a_path_containing_minutes_group(tmp_path):
    path = write(tmp_path / "repo" / "minutes" / "sig-docs" / "2024" / "05" / "07" / "notes.md", GOOD)
    assert key_for(path) == "minutes/sig-docs/2024/05/07/notes.md"


def test_key_from_the_last_minutes_folder_followed_by_a_group(tmp_path):
    path = write(tmp_path / "minutes" / "tools" / "minutes" / "sig-docs" / "2024-05-07.md", GOOD)
    assert key_for(path) == "minutes/sig-docs/2024-05-07.md"


def test_key_of_any_other_file_is_its_folder_and_name(tmp_path):
    path = write(tmp_path / "Meeting Notes" / "2024-05-07-sync.md", GOOD)
    assert key_for(path) == "minutes/meeting-notes/2024-05-07-sync.md"
    path = write(tmp_path / "sig-apps" / "minutes" / "2016-05-18.md", GOOD)   # minutes/<file>: no group
    assert key_for(path) == "minutes/minutes/2016-05-18.md"


def test_key_of_a_file_in_a_dated_folder_is_a_folder_meeting(tmp_path):
    path = write(tmp_path / "openxla" / "2022-09-20-community-meeting" / "NOTES.md", GOOD)
    assert key_for(path) == "minutes/openxla/2022-09-20-community-meeting/NOTES.md"


def test_a_relative_path_is_resolved(tmp_path, monkeypatch, capsys):
    write(tmp_path / "minutes" / "g" / "2024-05-07.md", GOOD)
    monkeypatch.chdir(tmp_path / "minutes" / "g")
    code, [verdict] = run_json(capsys, "2024-05-07.md")
    assert (code, verdict["key"], verdict["file"]) == (EXIT_OK, "minutes/g/2024-05-07.md", "2024-05-07.md")


def test_key_option_overrides_the_path(tmp_path, capsys):
    path = write(tmp_path / "draft.md", GOOD)
    code, [verdict] = run_json(capsys, "--key", "minutes/sig-docs/2024-05-07-weekly.md", str(path))
    assert code == EXIT_OK and verdict["meta"]["url_path"] == "/sig-docs/2024-05-07-weekly/"
    code, [verdict] = run_json(capsys, "--key", "uploads/2024-05-07.md", str(path))
    assert code == EXIT_INVALID and verdict["problems"][0]["code"] == "key-outside-minutes"
    code, [verdict] = run_json(capsys, "--key", "minutes/index/2024-05-07.md", str(path))
    assert verdict["problems"][0]["code"] == "group-name"


# --- folders -----------------------------------------------------------------------------

def make_tree(root: Path) -> Path:
    meeting = root / "minutes" / "openxla" / "2022-09-20-community-meeting"
    write(meeting / "NOTES.md", "# Community meeting\n\n- see [slides](%5BPublic%5D%20Slides.pdf)\n- b\n- c\n")
    write(meeting / "AGENDA.md", "# Agenda\n\n1. a\n")
    write(meeting / "[Public] Slides.pdf", PDF)
    write(root / "minutes" / "openxla" / "2022-10-18-sync.md", GOOD)
    write(root / "minutes" / "k8s" / "meeting-notes-2024.md",
          "# Notes\n\n## Dec 31, 2024\n\n- a\n\n## Dec 24, 2024\n\n- b\n")
    write(root / "minutes" / "k8s" / "weekly.md", "# Weekly\n\n- no date anywhere\n")
    write(root / "minutes" / "openxla" / ".hidden" / "2022-01-01.md", b"")
    return root


def test_a_folder_checks_each_meeting_once(tmp_path, capsys):
    root = make_tree(tmp_path)
    code, verdicts = run_json(capsys, str(root))
    assert code == EXIT_INVALID
    by_key = {v["key"]: v for v in verdicts}
    assert set(by_key) == {"minutes/openxla/2022-09-20-community-meeting/",
                           "minutes/openxla/2022-10-18-sync.md", "minutes/k8s/meeting-notes-2024.md",
                           "minutes/k8s/weekly.md"}
    folder = by_key["minutes/openxla/2022-09-20-community-meeting/"]
    assert folder["file"] == str(root / "minutes" / "openxla" / "2022-09-20-community-meeting")
    assert folder["valid"] and folder["meta"]["title"] == "Community meeting"
    assert not [p for p in folder["problems"] if p["code"] == "missing-local-file"]   # slides found
    notes = by_key["minutes/k8s/meeting-notes-2024.md"]
    assert notes["valid"] and [m["date"] for m in notes["meta"]["meetings"]] == ["2024-12-31", "2024-12-24"]
    assert by_key["minutes/k8s/weekly.md"]["problems"][0]["code"] == "date-missing"


def test_problems_in_a_folder_meeting_name_their_document(tmp_path, capsys):
    meeting = tmp_path / "minutes" / "g" / "2024-05-07-sync"
    write(meeting / "NOTES.md", GOOD)
    agenda = write(meeting / "AGENDA.md", "---\ntitel: x\n---\n1. a\n")
    code, out, _ = run(capsys, str(tmp_path))
    # A rejected agenda is left out, the minutes published, as build does (decision 94).
    assert code == EXIT_OK
    assert f"{agenda}:2:1: warning front-matter-typo:" in out
    _, [verdict] = run_json(capsys, str(tmp_path))
    assert [p["code"] for p in verdict["problems"]] == ["front-matter-typo"]
    assert verdict["problems"][0]["message"].startswith(
        "AGENDA.md: Left out of the meeting's page (the rest is published): Unknown front-matter key")


def test_one_file_of_a_folder_meeting_is_checked_with_its_attachments(tmp_path, capsys):
    root = make_tree(tmp_path)
    notes = root / "minutes" / "openxla" / "2022-09-20-community-meeting" / "NOTES.md"
    code, [verdict] = run_json(capsys, str(notes))
    assert code == EXIT_OK and verdict["file"] == str(notes)
    assert verdict["key"] == "minutes/openxla/2022-09-20-community-meeting/NOTES.md"
    assert not verdict["problems"]


def test_same_names_in_different_folders_are_different_meetings(tmp_path, capsys):
    for sig in ("converters", "operators"):
        write(tmp_path / "onnx" / sig / "meetings" / "001-20190710.md", f"# {sig}\n\n- a\n- b\n")
    code, verdicts = run_json(capsys, str(tmp_path / "onnx"))
    assert code == EXIT_OK
    assert sorted(v["meta"]["title"] for v in verdicts) == ["converters", "operators"]


def test_a_folder_finds_what_rglob_would_and_keys_symlinks_by_their_own_place(tmp_path, capsys):
    """The folder walk (os.walk, each folder resolved once) finds the files rglob("*") finds,
    hidden ones left out, and a link to nothing (decision 88: rejected as a link, not dropped),
    and keys each file as key_for(the file) does: a symlinked file by its own place (and rejects
    it, as minutes build does), a symlinked folder not entered (and rejected)."""
    from minutes.check import expand
    root = make_tree(tmp_path / "here")
    elsewhere = write(tmp_path / "minutes" / "rust" / "2024-01-02-sync.md", GOOD)
    (root / "minutes" / "openxla" / "2022-11-01-linked.md").symlink_to(elsewhere)
    (root / "minutes" / "openxla" / "2022-12-01-broken.md").symlink_to(tmp_path / "nowhere.md")
    (root / "minutes" / "linked-folder").symlink_to(elsewhere.parent, target_is_directory=True)
    write(root / "minutes" / "k8s" / ".draft.md", GOOD)
    write(root / "minutes" / "k8s" / "Notes.MD", "# Notes\n\n- a\n")
    rglob = sorted(p for p in root.rglob("*") if p.is_file() and (
        p.suffix.lower() == ".md" or p.name == "group.yaml") and not any(
        part.startswith(".") for part in p.relative_to(root).parts))
    broken = root / "minutes" / "openxla" / "2022-12-01-broken.md"
    assert expand([root]) == sorted([*rglob, broken]) and len(rglob) == 7
    _, verdicts = run_json(capsys, str(root))
    assert {v["key"]: [p["code"] for p in v["problems"]] for v in verdicts
            if any(p["code"] == "linked-source" for p in v["problems"])} == {
        "minutes/openxla/2022-11-01-linked.md": ["linked-source"],
        "minutes/openxla/2022-12-01-broken.md": ["linked-source"],
        "minutes/linked-folder/": ["linked-source"]}
    files = {v["file"]: v["key"] for v in verdicts}
    assert files[str(root / "minutes" / "openxla" / "2022-11-01-linked.md")] == \
        key_for(root / "minutes" / "openxla" / "2022-11-01-linked.md") == "minutes/openxla/2022-11-01-linked.md"
    assert all(key == key_for(Path(file)) for file, key in files.items() if not Path(file).is_dir())


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not here")
def test_checking_the_whole_corpus_gives_a_verdict_for_every_meeting(capsys):
    # How fast is measured by `make bench` (check_corpus_s), never asserted here.
    code, verdicts = run_json(capsys, str(CORPUS))
    assert code == EXIT_INVALID   # the READMEs (running-notes files now publish)
    assert sum(v["valid"] for v in verdicts) >= 290


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not here")
def test_the_largest_corpus_file_gets_a_verdict(capsys):
    # Its speed is `make bench`'s check_largest_ms; a test asserts behaviour, not time.
    largest = max(CORPUS.rglob("*.md"), key=lambda p: p.stat().st_size)
    code, verdicts = run_json(capsys, str(largest))
    assert code in (EXIT_OK, EXIT_INVALID) and verdicts
    assert all(v["valid"] or v["problems"] for v in verdicts)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not here")
def test_many_meetings_are_checked_on_every_core_with_the_same_verdicts_in_order():
    """In batches of meetings, largest first (check._batches), the verdicts in path order."""
    from minutes.check import check_paths
    folders = [CORPUS / "kubernetes", CORPUS / "onnx"]   # running notes too, a spread of sizes
    serial = check_paths(folders, workers=1)
    assert len(serial) >= 16   # enough to take the parallel path
    parallel = check_paths(folders, workers=2)
    assert [v.as_dict() for v in parallel] == [v.as_dict() for v in serial]


def test_check_rejects_a_linked_markdown_file_or_attachment_exactly_as_build_does(tmp_path, capsys):
    """Decision 78: minutes build rejects a source that is a symbolic link (linked-source); the
    check says the same, with the same code, message, hint and file, without reading the
    file the link leads to (it keyed such a file by its target: a key-shape error about
    minutes/etc/, or a linked attachment passed)."""
    from minutes.build import build
    from minutes.check import check_paths
    src = tmp_path / "minutes"
    write(src / "openxla" / "2022-10-18-sync.md", GOOD)
    meeting = src / "openxla" / "2022-09-20-community-meeting"
    write(meeting / "NOTES.md", GOOD)
    secret = write(tmp_path / "elsewhere" / "secret.md", "# Secret\n\n- hunter2\n- b\n")
    (src / "openxla" / "2022-11-01-linked.md").symlink_to(secret)            # out of the tree
    (src / "openxla" / "2022-11-02-inside.md").symlink_to(src / "openxla" / "2022-10-18-sync.md")
    (meeting / "notes.pdf").symlink_to(secret)                               # an attachment
    by_build = build(src, tmp_path / "site", site_url="https://minutes.example.org", workers=1).rejected
    verdicts = check_paths([src])

    def said(problems) -> set[tuple]:
        return {(p.code, p.message, p.hint, p.file) for p in problems}
    assert said(p for v in verdicts for p in v.problems) == \
        said(p for problems in by_build.values() for p in problems)
    assert {p.file for v in verdicts for p in v.problems if p.code == "linked-source"} == {
        "minutes/openxla/2022-11-01-linked.md", "minutes/openxla/2022-11-02-inside.md",
        "minutes/openxla/2022-09-20-community-meeting/notes.pdf"}
    assert [v.valid for v in verdicts].count(True) == 1   # 2022-10-18-sync
    # Each given alone, as the scribe would: the same problem.
    code = main(["check", str(src / "openxla" / "2022-11-01-linked.md"), str(meeting / "NOTES.md")])
    out = capsys.readouterr().out
    assert code == EXIT_INVALID
    assert out.count("error linked-source: ") == 2 and "key-shape" not in out and "hunter2" not in out
    assert f"{meeting / 'notes.pdf'}:1:1: error linked-source: " \
           "minutes/openxla/2022-09-20-community-meeting/notes.pdf is a symbolic link" in out
